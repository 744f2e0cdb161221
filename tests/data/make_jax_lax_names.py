"""Write ``tests/data/jax_lax_names.json``: the public callables of ``jax.lax``, for
``tests/test_lax_coverage.py`` to check ``ftrans.lax`` against without JAX installed.

Run with jax installed: ``python tests/data/make_jax_lax_names.py``. The rules (also used by the
test when jax is installed): names not starting with ``_``, not ``*_p`` primitive objects, not
modules, not exception classes, callable.
"""

from __future__ import annotations

import json
import pathlib
import types


def public_callables(module) -> list[str]:
    names = []
    for name in dir(module):
        if name.startswith("_") or name.endswith("_p"):
            continue
        obj = getattr(module, name)
        if isinstance(obj, types.ModuleType) or not callable(obj):
            continue
        if isinstance(obj, type) and issubclass(obj, BaseException):
            continue
        names.append(name)
    return sorted(names)


def main():
    import jax
    import jax.lax

    path = pathlib.Path(__file__).with_name("jax_lax_names.json")
    data = {"jax_version": jax.__version__, "names": public_callables(jax.lax)}
    path.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {len(data['names'])} names (jax {jax.__version__}) to {path}")


if __name__ == "__main__":
    main()
