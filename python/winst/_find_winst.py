"""Where the ``winst`` binary of this installation of the package is.

Pip and winst put a wheel's scripts in the ``scripts`` directory of the install scheme: the
environment's ``bin`` for a virtual environment or system install, the user scheme's ``bin``
for ``--user``, ``<prefix>/bin`` for ``--prefix`` and ``<target>/bin`` for ``--target``. This
module looks where the package itself was installed first, then at the interpreter's schemes.
"""

import os
import sys
import sysconfig

_EXE = "winst" + (sysconfig.get_config_var("EXE") or "")


def _candidates():
    """The scripts directories to look in, most specific first."""
    here = os.path.dirname(os.path.abspath(__file__))
    site = os.path.dirname(here)
    # `pip install --target DIR`: DIR/winst/ and DIR/bin/winst.
    yield os.path.join(site, "bin")
    # `--prefix DIR` and environments: DIR/lib/pythonX.Y/site-packages/winst/ and DIR/bin/winst.
    yield os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(site))), "bin")
    yield sysconfig.get_path("scripts")
    user = "osx_framework_user" if sys.platform == "darwin" and getattr(sys, "_framework", "") else "posix_user"
    if hasattr(sysconfig, "get_preferred_scheme"):
        user = sysconfig.get_preferred_scheme("user")
    if user in sysconfig.get_scheme_names():
        yield sysconfig.get_path("scripts", user)


def find_winst_bin():
    """Returns the path of the ``winst`` binary installed with this package, as a ``str``.

    Raises ``FileNotFoundError`` naming every directory it looked in when there is none (the
    package was installed without its scripts).
    """
    looked = []
    for directory in _candidates():
        path = os.path.join(directory, _EXE)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
        if directory not in looked:
            looked.append(directory)
    raise FileNotFoundError(
        "the winst binary of the winst package is not in any of: " + ", ".join(looked)
    )
