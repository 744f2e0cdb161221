"""The transform-stack fuzzer: random programs x random transform stacks, judged by oracles.

``program`` draws programs, ``stacks`` draws transform stacks, ``oracles`` judges a case,
``shrink`` minimises a failing case and prints it as a script, ``runner`` is the command line
(``python -m tests.fuzz``). See README.md.
"""
