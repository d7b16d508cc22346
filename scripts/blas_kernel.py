"""Print the BLAS library NumPy runs, its kernel and threads; optionally check the kernel.

OpenBLAS picks a kernel (the code written for one family of CPUs) when it loads, and
``OPENBLAS_CORETYPE`` forces another, so that one machine computes what another CPU would.
Floats that went through BLAS differ in their last bits from kernel to kernel: CI runs
the tests under a second kernel to prove that no test depends on the CPU it runs on.

usage: python3 scripts/blas_kernel.py [--coretype NAME --expect KERNEL]

With ``--coretype``, the check runs in a child process with ``OPENBLAS_CORETYPE=NAME``
and fails (exit 1) unless threadpoolctl reports the kernel ``KERNEL`` there: a forced
kernel that does not take effect would make CI's second run test nothing new.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys


def kernels() -> list[str]:
    """The kernel name of every BLAS library NumPy has loaded (threadpoolctl's view)."""
    import numpy as np
    from threadpoolctl import threadpool_info

    np.ones(2) @ np.ones(2)  # loads the BLAS library
    return [str(i.get("architecture")) for i in threadpool_info() if i.get("user_api") == "blas"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coretype", help="run the check with OPENBLAS_CORETYPE=CORETYPE")
    parser.add_argument("--expect", help="the kernel threadpoolctl must report (e.g. Haswell)")
    args = parser.parse_args(argv)
    if args.coretype and platform.machine().lower() not in ("x86_64", "amd64"):
        print(f"BLAS kernel: OPENBLAS_CORETYPE names x86 kernels; on {platform.machine()} "
              "the runs below use the native kernel")
        return 0
    if args.coretype:
        env = {**os.environ, "OPENBLAS_CORETYPE": args.coretype}
        child = [sys.executable, __file__] + (["--expect", args.expect] if args.expect else [])
        return subprocess.run(child, env=env, check=False).returncode
    found = kernels()
    forced = os.environ.get("OPENBLAS_CORETYPE")
    print(f"BLAS kernel: {', '.join(found) or 'no BLAS found'}"
          + (f" (OPENBLAS_CORETYPE={forced})" if forced else ""))
    if args.expect and args.expect.lower() not in (k.lower() for k in found):
        print(f"blas_kernel.py: error: expected the {args.expect} kernel, got {found}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
