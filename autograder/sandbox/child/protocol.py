"""The probe protocol: the only thing that crosses between grader and student process.

A message is a JSON header plus zero or more ``.npy`` blobs, each framed by an 8-byte
big-endian length. Arrays travel as ``.npy`` and are read with ``allow_pickle=False``;
nothing from the student side is ever unpickled or evaluated. The grader side validates
every frame size and every array's dtype before the value reaches a comparison.

This module must import with only the standard library and numpy: it is copied into the
sandbox next to the student runner, which cannot see the rest of the grader.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import math
import os
import re
import select
import struct
import time

import numpy as np

MAX_HEADER_BYTES = 1 << 20  # 1 MiB of JSON is far beyond any honest answer
MAX_CELLS_BYTES = 512 << 20  # grader -> runner only: a notebook's code, JSON-escaped
MAX_ARRAY_BYTES = 256 << 20  # one array; Fashion-MNIST test images are ~63 MB as float64
MAX_ARRAYS_PER_MESSAGE = 64
MAX_MESSAGE_BYTES = 320 << 20  # all arrays of one message together: bounds the grader's memory
ALLOWED_DTYPE_KINDS = "biuf"  # bool, signed, unsigned, float: no objects, strings, complex

_LEN = struct.Struct(">Q")


class ProtocolError(Exception):
    """The other side sent something that is not a well-formed, size-capped message."""


class ChannelClosed(ProtocolError):
    """The other side closed its end (usually: the student process died)."""


# --- framing -------------------------------------------------------------------------


class ChannelTimeout(ProtocolError):
    """The other side did not answer before the deadline."""


def _wait(fd: int, deadline: float | None, for_write: bool) -> None:
    if deadline is None:
        return
    remaining = deadline - time.monotonic()
    ready = select.select([], [fd], [], max(remaining, 0))[1] if for_write else \
        select.select([fd], [], [], max(remaining, 0))[0]
    if not ready:
        raise ChannelTimeout("no answer before the deadline")


def _read_exact(fd: int, n: int, deadline: float | None = None) -> bytes:
    chunks = []
    remaining = n
    while remaining:
        _wait(fd, deadline, for_write=False)
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise ChannelClosed("channel closed mid-message" if chunks else "channel closed")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def write_all(fd: int, data: bytes, deadline: float | None = None) -> None:
    """Write everything; with a deadline, ``fd`` should be non-blocking."""
    view = memoryview(data)
    while view:
        _wait(fd, deadline, for_write=True)
        try:
            written = os.write(fd, view[: 1 << 16])
        except BlockingIOError:
            continue
        except BrokenPipeError:
            raise ChannelClosed("channel closed") from None
        view = view[written:]


def _frame_from(read, limit: int) -> bytes:
    """One length-prefixed frame from ``read(n) -> n bytes``, at most ``limit`` long."""
    (size,) = _LEN.unpack(read(_LEN.size))
    if size > limit:
        raise ProtocolError(f"frame of {size} bytes exceeds the limit of {limit}")
    return read(size)


def _reader_of(data: bytes):
    """``read(n)`` over ``data``: a message already in memory (an opened request)."""
    view, at = memoryview(data), [0]

    def read(n: int) -> bytes:
        start = at[0]
        if start + n > len(view):
            raise ProtocolError("message ends mid-frame")
        at[0] = start + n
        return bytes(view[start:start + n])

    read.left = lambda: len(view) - at[0]
    return read


# --- the seal on the runner's replies ------------------------------------------------
#
# The runner shares its process with the student's code, which can find the reply pipe
# (/proc/self/fd) and write on it: a red team served the grader's whole channel from a
# notebook cell, reporting cells that never ran as "ok" and answering probes with functions
# the grader never read (33/34 for a blank notebook). So each reply ends with an HMAC of its
# frames and its number, made with a key the grader sends in its first message, which the
# runner reads before any student code runs and keeps only in a closure. A message without
# the right seal breaks the channel: for the grader, the notebook's process failed.

SEAL_BYTES = 32


def seal_with(key: bytes):
    """The runner's side: ``seal(message_bytes) -> message_bytes + tag frame``, numbering
    the messages it seals (a reply cannot be replayed or reordered)."""
    sealed = [0]
    # taken now, before any student code runs, and held here: the notebook can replace
    # module attributes (``hmac.new``), and one called with the key would hand it over
    digest, pack = _hmac_sha256(), _LEN.pack

    def seal(data: bytes) -> bytes:
        tag = digest(key, sealed[0].to_bytes(8, "big") + data)
        sealed[0] += 1
        return data + pack(len(tag)) + tag

    return seal


def _hmac_sha256():
    """HMAC-SHA256 as one compiled function (OpenSSL's), which no module attribute steers;
    the standard library's one-shot ``hmac.digest`` where Python has no OpenSSL."""
    try:
        from _hashlib import hmac_digest
    except ImportError:  # pragma: no cover - every supported Python has OpenSSL
        one_shot = hmac.digest
        return lambda key, message: one_shot(key, message, "sha256")
    return lambda key, message: hmac_digest(key, message, "sha256")


class SealCheck:
    """The grader's side: verifies each reply's tag, in order."""

    def __init__(self, key: bytes):
        self._key = key
        self._received = 0

    def begin(self):
        return hmac.new(self._key, self._received.to_bytes(8, "big"), hashlib.sha256)

    def verify(self, mac, fd: int, deadline: float | None) -> None:
        """Read the tag frame that ends a message and check it against ``mac``."""
        (size,) = _LEN.unpack(_read_exact(fd, _LEN.size, deadline))
        tag = _read_exact(fd, size, deadline) if size == SEAL_BYTES else b""
        if not hmac.compare_digest(mac.digest(), tag):
            raise ProtocolError("a message on the runner's channel did not carry the "
                                "runner's seal: the notebook's code wrote on the grader's "
                                "channel")
        self._received += 1


# --- the envelope on the grader's requests ------------------------------------------
#
# The notebook's code can also find the request pipe (``sys.argv``, /proc/self/fd) and put a
# pipe of its own in its place with ``os.dup2``: a process it started read each request
# first, computed a restricted probe's answer from its inputs with the forbidden API before
# the runner read the request and switched the API off, and passed the bytes on (the
# thirteenth red team: softmax from scipy, 31 -> 34/34); it could as well have rewritten a
# request (dropped its ``forbid``, renamed the function). So every request after the first
# is enveloped: encrypted with a keystream (SHAKE-256 of a key and the message's number)
# and sealed with an HMAC-SHA256 of its number and ciphertext, both keys derived from the
# key of the first message, which the runner reads before any student code runs. A relay
# sees ciphertext only; one that changes, drops, reorders or replays a request breaks the
# channel, which costs the notebook the rest of its checks.

def _request_keys(key: bytes) -> tuple[bytes, bytes]:
    digest = _hmac_sha256()
    return digest(key, b"request keystream"), digest(key, b"request seal")


def _keystream_xor(stream_key: bytes, number: int, data: bytes, *, _shake=hashlib.shake_256,
                   _frombuffer=np.frombuffer, _xor=np.bitwise_xor, _u8=np.uint8) -> bytes:
    pad = _shake(stream_key + number.to_bytes(8, "big")).digest(len(data))
    return _xor(_frombuffer(data, _u8), _frombuffer(pad, _u8)).tobytes()


class RequestSealer:
    """The grader's side: envelopes each request in turn (:func:`request_opener`)."""

    def __init__(self, key: bytes):
        self._stream, self._seal = _request_keys(key)
        self._sent = 0

    def wrap(self, data: bytes) -> bytes:
        number = self._sent.to_bytes(8, "big")
        hidden = _keystream_xor(self._stream, self._sent, data)
        tag = hmac.digest(self._seal, number + hidden, "sha256")
        self._sent += 1
        return _LEN.pack(len(hidden)) + hidden + _LEN.pack(len(tag)) + tag


def request_opener(key: bytes, limit: int = MAX_MESSAGE_BYTES + MAX_HEADER_BYTES
                   + (MAX_ARRAYS_PER_MESSAGE + 1) * _LEN.size):
    """The runner's side: ``receive(fd) -> (header, payload)`` of the next enveloped request,
    in order; a request that is not the grader's raises :class:`ProtocolError`. Everything
    it calls is taken now, before any student code runs."""
    stream, seal = _request_keys(key)
    opened = [0]
    digest, same, frame_from, read_exact = _hmac_sha256(), hmac.compare_digest, _frame_from, \
        _read_exact
    xor, decode = _keystream_xor, _receive

    def receive(fd: int) -> tuple[dict, object]:
        read = lambda n: read_exact(fd, n)  # noqa: E731 - a reader for this fd
        hidden = frame_from(read, limit)
        tag = frame_from(read, SEAL_BYTES)
        number = opened[0]
        if not same(digest(seal, number.to_bytes(8, "big") + hidden), tag):
            raise ProtocolError("a request on the grader's channel was not the grader's "
                                "(changed, replayed or out of order)")
        opened[0] = number + 1
        data = xor(stream, number, hidden)
        del hidden
        reader = _reader_of(data)
        message = decode(reader, MAX_ARRAY_BYTES, MAX_HEADER_BYTES, None)
        if reader.left():
            raise ProtocolError("bytes after the end of a request")
        return message

    return receive


# --- values <-> (json, blobs) --------------------------------------------------------


# Arrays are written and read here, not by ``np.save``/``np.load``: those run hundreds of
# Python calls an array (``np.load`` parses the header with ``ast.literal_eval``, which
# compiles), and in the student's process every such call passes the runner's reading watch
# and every compile its audit hook; a grading's requests paid ~0.6 s for it. The format is
# NumPy's own ``.npy`` version 1.0, which ``np.load`` reads (and a header this module did
# not write is handed to ``np.load``). The NumPy functions used are taken when the module is
# imported, before any notebook code runs, so no module attribute steers them.
_NPY_MAGIC = b"\x93NUMPY\x01\x00"
_NPY_ALIGN = 64
_NPY_HEADER = re.compile(r"\{'descr': '([<>|][biuf][0-9]{1,2})', 'fortran_order': (False|True), "
                         r"'shape': \((|[0-9]+,|[0-9]+(?:, [0-9]+)+)\), \} *\n")


def _array_to_npy(array: np.ndarray) -> bytes:
    header = "{'descr': %r, 'fortran_order': False, 'shape': %r, }" % (array.dtype.str,
                                                                      array.shape)
    padding = -(len(_NPY_MAGIC) + 2 + len(header) + 1) % _NPY_ALIGN
    header = (header + " " * padding + "\n").encode("latin1")
    # tobytes writes C order whatever the array's layout
    return b"".join((_NPY_MAGIC, len(header).to_bytes(2, "little"), header, array.tobytes()))


def _npy_to_array(blob: bytes, *, _frombuffer=np.frombuffer, _dtype=np.dtype,
                  _load=np.load, _prod=math.prod) -> np.ndarray:
    size = int.from_bytes(blob[8:10], "little") if blob[:8] == _NPY_MAGIC else -1
    found = _NPY_HEADER.fullmatch(blob[10:10 + size].decode("latin1")) if size > 0 else None
    try:
        if found is None:  # another writer's .npy: NumPy's reader, never a pickle
            array = _load(io.BytesIO(blob), allow_pickle=False)
        else:
            descr, fortran, dims = found.groups()
            dtype = _dtype(descr)
            shape = tuple(map(int, dims.replace(",", " ").split()))
            data = memoryview(blob)[10 + size:]
            if len(data) != _prod(shape) * dtype.itemsize:
                raise ValueError("the data is not the header's size")
            array = _frombuffer(bytearray(data), dtype).reshape(
                shape, order="F" if fortran == "True" else "C")
    except Exception as exc:  # noqa: BLE001 - any parse failure is a protocol failure
        raise ProtocolError(f"unreadable array payload ({type(exc).__name__})") from None
    if type(array) is not np.ndarray:
        raise ProtocolError("array payload did not decode to a plain ndarray")
    if array.dtype.kind not in ALLOWED_DTYPE_KINDS or array.dtype.fields is not None:
        raise ProtocolError(f"array of unsupported dtype {array.dtype.str!r}")
    return array


# What a returned array was before it crossed the channel (student side -> grader only), so
# type rules such as "must return a tf.Tensor" can be checked. A plain np.ndarray carries no
# tag; a Python int/float stays a Python number. The tag is the student's claim about their
# own value: grading uses it only to refuse answers, never to accept one it would refuse.
KINDS = ("tf.Tensor", "tf.Variable", "numpy scalar", "tensor-like")


class Tagged:
    """An array and the kind of object it was converted from (sender side only)."""

    def __init__(self, value, kind: str):
        self.value = value
        self.kind = kind if kind in KINDS else "tensor-like"


class ReturnedArray(np.ndarray):
    """A received array that remembers the kind of object the student returned.

    ``kind`` is ``"ndarray"`` for a plain NumPy array, else one of :data:`KINDS`."""

    kind = "ndarray"

    def __array_finalize__(self, obj):
        self.kind = getattr(obj, "kind", "ndarray")


def kind_of(value) -> str:
    """The kind of a received value: ``tf.Tensor``, ``tf.Variable``, ``ndarray``, ``numpy
    scalar``, ``tensor-like``, ``int``, ``float``, ``bool``, ``str``, ``list``, ..."""
    if isinstance(value, np.ndarray):
        return getattr(value, "kind", "ndarray")
    if isinstance(value, Unsupported):
        return value.description
    return type(value).__name__


class Unsupported:
    """A value the student returned that cannot cross the channel (named, never evaluated)."""

    def __init__(self, description: str):
        # the student names the type: keep it printable (no terminal escapes, no surrogates)
        text = str(description)[:200].encode("utf-8", "replace").decode("utf-8")
        self.description = "".join(ch if ch.isprintable() else "?" for ch in text)

    def __repr__(self) -> str:
        return f"<unsupported: {self.description}>"


def flatten(value, blobs: list[bytes], describe_unknown=None):
    """Turn a value tree into JSON-safe data, moving arrays into ``blobs``.

    ``describe_unknown`` converts values the encoder does not know (the student side uses
    it to turn tensors into arrays); without it, unknown values are an error.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, Unsupported):
        return {"__unsupported__": value.description}
    if type(value) is Tagged:
        node = flatten(value.value, blobs, None)
        if isinstance(node, dict) and "__ndarray__" in node:
            node["kind"] = value.kind
        return node
    if isinstance(value, (int, float)) and type(value) in (int, float):
        if isinstance(value, float) and not np.isfinite(value):
            return {"__float__": repr(value)}
        return value
    if isinstance(value, np.generic) and describe_unknown is not None:  # the student's side
        return flatten(Tagged(np.asarray(value), "numpy scalar"), blobs, None)
    if type(value) in (np.ndarray, ReturnedArray) or isinstance(value, np.generic):
        array = np.asarray(value)
        if array.dtype.kind not in ALLOWED_DTYPE_KINDS:
            return {"__unsupported__": f"array of dtype {array.dtype}"}
        if len(blobs) >= MAX_ARRAYS_PER_MESSAGE:
            raise ProtocolError("too many arrays in one message")
        if array.nbytes > MAX_ARRAY_BYTES:  # say so before copying gigabytes into a frame
            raise ProtocolError(f"an array of {array.nbytes >> 20} MB is above the "
                                f"{MAX_ARRAY_BYTES >> 20} MB limit")
        blobs.append(_array_to_npy(array))
        return {"__ndarray__": len(blobs) - 1}
    # on the student's side a list or tuple of another class (a namedtuple, TensorFlow's
    # ListWrapper of a tf.Module's list) is sent as its items: it is what the contract asks for
    if type(value) in (list, tuple) or (describe_unknown is not None
                                        and isinstance(value, (list, tuple))):
        return {"__seq__": [flatten(v, blobs, describe_unknown) for v in list(value)],
                "tuple": isinstance(value, tuple)}
    if type(value) is dict and all(type(k) is str for k in value):
        return {"__dict__": {k: flatten(v, blobs, describe_unknown) for k, v in value.items()}}
    if describe_unknown is not None:
        return flatten(describe_unknown(value), blobs, None)
    raise TypeError(f"cannot send a value of type {type(value).__name__}")


def unflatten(data, arrays: list[np.ndarray]):
    """Inverse of :func:`flatten`, strict about every node's shape."""
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is list:
        raise ProtocolError("bare JSON list in message")
    if type(data) is not dict or len(data) not in (1, 2):
        raise ProtocolError("malformed value node")
    if "__ndarray__" in data:
        index = data["__ndarray__"]
        if type(index) is not int or not 0 <= index < len(arrays):
            raise ProtocolError("array reference out of range")
        if len(data) == 1:
            return arrays[index]
        if data.get("kind") not in KINDS:
            raise ProtocolError("unknown array kind")
        tagged = arrays[index].view(ReturnedArray)
        tagged.kind = data["kind"]
        return tagged
    if "__seq__" in data and type(data["__seq__"]) is list:
        items = [unflatten(v, arrays) for v in data["__seq__"]]
        return tuple(items) if data.get("tuple") is True else items
    if "__dict__" in data and type(data["__dict__"]) is dict:
        return {str(k): unflatten(v, arrays) for k, v in data["__dict__"].items()}
    if "__float__" in data and data["__float__"] in ("nan", "inf", "-inf"):
        return float(data["__float__"])
    if "__unsupported__" in data:
        return Unsupported(data["__unsupported__"])
    raise ProtocolError("unknown value node")


# --- messages ------------------------------------------------------------------------


def encode_message(header: dict, payload=None, describe_unknown=None,
                   max_header_bytes: int = MAX_HEADER_BYTES) -> bytes:
    """``header`` (plain JSON) and ``payload`` (a value tree that may hold arrays) as bytes.

    Raises :class:`ProtocolError` for what the receiver would refuse, so the sender can
    say why instead of breaking the channel."""
    blobs: list[bytes] = []
    body = dict(header)
    body["payload"] = flatten(payload, blobs, describe_unknown)
    body["n_arrays"] = len(blobs)
    frames = [json.dumps(body, allow_nan=False).encode(), *blobs]
    if len(frames[0]) > max_header_bytes:
        raise ProtocolError(f"a reply of {len(frames[0]) >> 10} KB of plain data is above the "
                            f"{max_header_bytes >> 10} KB limit (send arrays, not lists)")
    if sum(len(blob) for blob in blobs) > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"the arrays of one reply are above {MAX_MESSAGE_BYTES >> 20} MB")
    return b"".join(_LEN.pack(len(frame)) + frame for frame in frames)


def send_message(fd: int, header: dict, payload=None, describe_unknown=None,
                 deadline: float | None = None,
                 max_header_bytes: int = MAX_HEADER_BYTES,
                 sealer: RequestSealer | None = None) -> None:
    """With ``sealer`` (the grader's requests after the first), the message is enveloped."""
    data = encode_message(header, payload, describe_unknown, max_header_bytes)
    write_all(fd, sealer.wrap(data) if sealer is not None else data, deadline)


def receive_message(fd: int, max_array_bytes: int = MAX_ARRAY_BYTES,
                    deadline: float | None = None,
                    max_header_bytes: int = MAX_HEADER_BYTES,
                    seal: SealCheck | None = None) -> tuple[dict, object]:
    """Read one message; returns ``(header, payload)`` or raises :class:`ProtocolError`.

    Every way a hostile sender can make decoding fail (deep nesting included) ends as a
    :class:`ProtocolError`, and the arrays of one message together stay below
    ``MAX_MESSAGE_BYTES``, so the reader's memory is bounded whatever arrives. With
    ``seal``, the message must end with the sender's tag (:func:`seal_with`), checked
    before anything of it is returned.
    """
    return _receive(lambda n: _read_exact(fd, n, deadline), max_array_bytes,
                    max_header_bytes, seal, fd, deadline)


def _receive(read, max_array_bytes: int, max_header_bytes: int, seal: SealCheck | None,
             fd: int | None = None, deadline: float | None = None) -> tuple[dict, object]:
    mac = seal.begin() if seal is not None else None
    raw = _frame_from(read, max_header_bytes)
    if mac is not None:
        mac.update(_LEN.pack(len(raw)) + raw)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ProtocolError("message header is not JSON") from None
    if type(header) is not dict:
        raise ProtocolError("message header is not an object")
    n_arrays = header.get("n_arrays")
    if type(n_arrays) is not int or not 0 <= n_arrays <= MAX_ARRAYS_PER_MESSAGE:
        raise ProtocolError("bad array count")
    arrays, budget = [], max(MAX_MESSAGE_BYTES, max_array_bytes)
    for _ in range(n_arrays):
        blob = _frame_from(read, min(max_array_bytes, budget))
        budget -= len(blob)
        if mac is not None:
            mac.update(_LEN.pack(len(blob)) + blob)
        arrays.append(_npy_to_array(blob))
        del blob
    if mac is not None:
        seal.verify(mac, fd, deadline)
    try:
        payload = unflatten(header.pop("payload", None), arrays)
    except RecursionError:
        raise ProtocolError("message value is nested too deeply") from None
    return header, payload
