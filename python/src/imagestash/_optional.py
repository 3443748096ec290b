"""Optional modules, imported only when a store kind needs them, with one line saying what to install."""
import importlib

from .errors import MissingDependency

_PACKAGES = {
    "lmdb": ("python3-lmdb", "lmdb"),
    "h5py": ("python3-h5py", "h5py"),
    "torch": ("python3-torch", "torch"),
    "boto3": ("python3-boto3", "boto3"),
    "PIL": ("python3-pil", "Pillow"),
}


def require(module, why):
    """`module` imported, or MissingDependency naming the package that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        debian, pip = _PACKAGES.get(module.split(".")[0], (module, module))
        raise MissingDependency(
            f"{why} needs the Python module '{module}': install it (apt-get install {debian}, or pip install {pip})"
        ) from e
