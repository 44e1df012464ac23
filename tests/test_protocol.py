"""The probe protocol carries plain data only and rejects anything else, loudly."""

import io
import json
import os
import struct

import numpy as np
import pytest

from autograder.sandbox.child import protocol


def roundtrip(payload):
    read_fd, write_fd = os.pipe()
    try:
        protocol.send_message(write_fd, {"status": "ok"}, payload)
        os.close(write_fd)
        write_fd = None
        return protocol.receive_message(read_fd)
    finally:
        os.close(read_fd)
        if write_fd is not None:
            os.close(write_fd)


def raw_message(header: dict, blobs=()) -> bytes:
    frames = [json.dumps(header).encode(), *blobs]
    return b"".join(struct.pack(">Q", len(f)) + f for f in frames)


def receive_raw(data: bytes):
    read_fd, write_fd = os.pipe()
    os.write(write_fd, data)
    os.close(write_fd)
    try:
        return protocol.receive_message(read_fd)
    finally:
        os.close(read_fd)


def test_value_tree_roundtrip_keeps_types_shapes_and_dtypes():
    payload = {"a": [np.arange(6, dtype=np.int32).reshape(2, 3), (1.5, "x", None, True)],
               "scalar": np.float32(2.5), "zero_d": np.array(3.0), "nan": float("nan")}
    header, value = roundtrip(payload)
    assert header["status"] == "ok"
    array, rest = value["a"]
    assert array.dtype == np.int32 and array.shape == (2, 3)
    assert rest == (1.5, "x", None, True)
    assert value["scalar"].dtype == np.float32 and value["scalar"].shape == ()
    assert value["zero_d"].shape == ()
    assert np.isnan(value["nan"])


def test_unknown_objects_are_named_not_sent():
    header, value = roundtrip(protocol.Unsupported("Sneaky"))
    assert isinstance(value, protocol.Unsupported) and value.description == "Sneaky"
    with pytest.raises(TypeError):
        roundtrip(object())


def test_pickled_object_arrays_are_refused():
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    message = raw_message({"payload": {"__ndarray__": 0}, "n_arrays": 1}, [buffer.getvalue()])
    with pytest.raises(protocol.ProtocolError, match="unreadable array|unsupported dtype"):
        receive_raw(message)


@pytest.mark.parametrize("dtype", ["U3", "c16", [("a", "f4")]])
def test_non_numeric_arrays_are_refused(dtype):
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(2, dtype=dtype), allow_pickle=False)
    message = raw_message({"payload": {"__ndarray__": 0}, "n_arrays": 1}, [buffer.getvalue()])
    with pytest.raises(protocol.ProtocolError):
        receive_raw(message)


@pytest.mark.parametrize("header", [
    {"payload": {"__ndarray__": 3}, "n_arrays": 0},
    {"payload": {"__eval__": "1+1"}, "n_arrays": 0},
    {"payload": [1, 2], "n_arrays": 0},
    {"payload": None, "n_arrays": 10**6},
])
def test_malformed_headers_are_refused(header):
    with pytest.raises(protocol.ProtocolError):
        receive_raw(raw_message(header))


def test_oversized_frames_are_refused_before_reading():
    data = struct.pack(">Q", protocol.MAX_HEADER_BYTES + 1) + b"{}"
    with pytest.raises(protocol.ProtocolError, match="exceeds the limit"):
        receive_raw(data)


def test_closed_channel_and_deadline():
    read_fd, write_fd = os.pipe()
    try:
        import time

        with pytest.raises(protocol.ChannelTimeout):
            protocol.receive_message(read_fd, deadline=time.monotonic() + 0.2)
        os.close(write_fd)
        write_fd = None
        with pytest.raises(protocol.ChannelClosed):
            protocol.receive_message(read_fd)
    finally:
        os.close(read_fd)
        if write_fd is not None:
            os.close(write_fd)


def sealed_channel(messages, key=b"k" * 32, check_key=None):
    """Write ``messages`` (bytes each) on a pipe and read them back through a seal check."""
    read_fd, write_fd = os.pipe()
    os.write(write_fd, b"".join(messages))
    os.close(write_fd)
    check = protocol.SealCheck(check_key or key)
    try:
        return [protocol.receive_message(read_fd, seal=check)[0] for _ in messages]
    finally:
        os.close(read_fd)


def test_sealed_replies_pass_and_anything_else_breaks_the_channel():
    """The runner's replies carry an HMAC made with the grader's key, numbered: a message
    the student's code writes on the pipe (unsealed, sealed with another key, replayed or
    reordered) is refused, whatever it says."""
    key = os.urandom(protocol.SEAL_BYTES)
    seal = protocol.seal_with(key)
    first = seal(protocol.encode_message({"event": "cell", "index": 0, "status": "error"}))
    second = seal(protocol.encode_message({"status": "ok"}, np.arange(3.0)))
    assert [h.get("event") for h in sealed_channel([first, second], key)] == ["cell", None]
    forged = protocol.encode_message({"event": "cell", "index": 0, "status": "ok"})
    for messages, check_key in [([forged, second], key),  # no seal: the next bytes are read as one
                                ([protocol.seal_with(b"x" * 32)(forged)], key),  # its own key
                                ([first, first], key),  # a replay
                                ([second, first], key),  # out of order
                                ([first], b"y" * 32)]:
        with pytest.raises(protocol.ProtocolError, match="runner's seal"):
            sealed_channel(messages, key, check_key)
    # a tampered byte anywhere, arrays included
    for at in (12, len(second) - 40):
        bad = bytearray(second)
        bad[at] ^= 1
        with pytest.raises(protocol.ProtocolError):
            sealed_channel([first, bytes(bad)], key)


ARRAYS = [np.arange(6, dtype=np.int32).reshape(2, 3), np.array(3.0), np.zeros((0, 4)),
          np.array([True, False]), np.arange(4, dtype=">f8"), np.arange(12).reshape(3, 4).T,
          np.asfortranarray(np.ones((2, 3), np.float16)), np.arange(3, dtype=np.uint8),
          np.zeros((2, 1, 3), np.int64)[:, :, ::2], np.float32(1.5)]


def npy_of(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


@pytest.mark.parametrize("array", ARRAYS, ids=lambda a: f"{a.dtype.str}{a.shape}")
def test_arrays_travel_as_numpys_own_npy_both_ways(array):
    """The channel writes and reads ``.npy`` itself (speed, below); NumPy reads what it
    writes, and it reads what NumPy writes, values, dtype, shape and order kept."""
    ours = np.load(io.BytesIO(protocol._array_to_npy(array)), allow_pickle=False)
    theirs = protocol._npy_to_array(npy_of(array))
    for read in (ours, theirs):
        assert read.dtype == array.dtype and read.shape == np.shape(array)
        assert np.array_equal(read, array) and read.flags.writeable
    assert protocol._npy_to_array(protocol._array_to_npy(array)).tobytes() == \
        np.asarray(array).tobytes(order="C")


@pytest.mark.parametrize("blob", [
    npy_of(np.arange(4.0))[:-8],  # data cut short
    npy_of(np.arange(4.0)) + b"\0" * 8,  # data beyond the header's shape
    npy_of(np.arange(4.0)).replace(b"(4,)", b"(9,)"),
    npy_of(np.arange(4.0))[:40],  # header cut
    b"\x93NUMPY\x01\x00\xff\xff" + b"{" * 70,
], ids=["short", "long", "shape-lies", "header-cut", "header-length-lies"])
def test_an_array_whose_header_and_data_disagree_is_refused(blob):
    with pytest.raises(protocol.ProtocolError, match="unreadable array"):
        protocol._npy_to_array(blob)


def test_reading_a_request_runs_a_handful_of_python_calls_and_compiles_nothing():
    """In the student's process every Python call while a request is read passes the
    runner's reading watch (a profile hook), and every compile its audit hook: ``np.load``
    parsed each header with ``ast.literal_eval`` (a compile, some 200 calls an array), which
    cost a grading ~0.6 s. A request of eight arrays now reads in a few calls an array,
    opened from its envelope as the runner reads it (:func:`protocol.request_opener`)."""
    import sys

    message = protocol.RequestSealer(b"k" * 32).wrap(protocol.encode_message(
        {"op": "call"}, [np.zeros((30, 64), np.float32)] * 8))
    receive = protocol.request_opener(b"k" * 32)
    calls, compiled = [], []

    def count(frame, event, arg):
        if event == "call":
            calls.append(frame.f_code.co_name)

    def audit(event, args):
        if event == "compile":
            compiled.append(args)

    sys.addaudithook(audit)
    read_fd, write_fd = os.pipe()
    os.write(write_fd, message)
    os.close(write_fd)
    sys.setprofile(count)
    try:
        header, payload = receive(read_fd)
    finally:
        sys.setprofile(None)
        os.close(read_fd)
    assert len(payload) == 8 and header["op"] == "call"
    assert not compiled, compiled[:3]
    assert len(calls) < 10 * 8, sorted(set(calls))


def _enveloped(messages, key=b"k" * 32):
    sealer = protocol.RequestSealer(key)
    return [sealer.wrap(protocol.encode_message(h, p)) for h, p in messages]


def _open_all(data: bytes, key=b"k" * 32, count=1):
    read_fd, write_fd = os.pipe()
    os.write(write_fd, data)
    os.close(write_fd)
    receive = protocol.request_opener(key)
    try:
        return [receive(read_fd) for _ in range(count)]
    finally:
        os.close(read_fd)


def test_requests_travel_enveloped_and_only_the_graders_open():
    """A relay on the request pipe (the thirteenth red team's, +3) sees no probe's name or
    inputs, and any request it changes, drops, reorders or replays breaks the channel."""
    marker = np.arange(97, dtype=np.float64) * 1.25
    messages = [({"op": "call", "name": "softmax_marker", "forbid": ["tf.nn.softmax"]},
                 [[marker], {}]), ({"op": "get", "name": "SEED"}, None)]
    first, second = _enveloped(messages)
    for wrapped in (first, second):
        assert b"softmax_marker" not in wrapped and b"forbid" not in wrapped
        assert marker.tobytes()[8:40] not in wrapped
    (h1, p1), (h2, _) = _open_all(first + second, count=2)
    assert h1["name"] == "softmax_marker" and h1["forbid"] == ["tf.nn.softmax"]
    np.testing.assert_array_equal(p1[0][0], marker)
    assert h2 == {"op": "get", "name": "SEED", "n_arrays": 0}
    flipped = bytearray(first)
    flipped[20] ^= 1
    for forged, count in ((bytes(flipped), 1), (second, 1), (second + first, 2),
                          (first + first, 2)):
        with pytest.raises(protocol.ProtocolError, match="not the grader's"):
            _open_all(forged, count=count)
    with pytest.raises(protocol.ProtocolError, match="not the grader's"):
        _open_all(first, key=b"j" * 32)
    # a message as the first request was sent (not enveloped) is refused too
    with pytest.raises(protocol.ProtocolError):
        _open_all(protocol.encode_message(*messages[1]))
