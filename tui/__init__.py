"""clusterdeck: a terminal dashboard for HPC jobs."""

import warnings

__version__ = "0.1.0"


def _hide_asyncssh_dsa_warnings() -> None:
    """Ignore CryptographyDeprecationWarning ("DSA is deprecated", cryptography 51) from asyncssh.

    asyncssh triggers it on import; the user can do nothing about it. Only that category and only
    asyncssh's modules are filtered. It runs on `import tui`, before any module imports asyncssh.
    """
    try:
        from cryptography.utils import CryptographyDeprecationWarning
    except ImportError:  # pragma: no cover - cryptography is a dependency (of asyncssh too)
        return
    warnings.filterwarnings(
        "ignore", category=CryptographyDeprecationWarning, module=r"asyncssh(\.|$)"
    )


_hide_asyncssh_dsa_warnings()
