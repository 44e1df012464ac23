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
