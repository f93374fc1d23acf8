"""The only language the grader and the student's process share: framed JSON, no pickle.

Both processes load this file: the grader as ``grading.engine.student.wire``, the sandboxed
student process as a plain ``wire`` module next to ``student.py``. It must therefore
import nothing from the course.

Values cross as JSON trees. Plain JSON stands for itself (``None``, ``bool``, ``int``,
``float`` including NaN and infinities, ``str``, ``list``); everything else is a one-key
object naming its tag:

``__array__``   ndarray of a bool/int/uint/float/complex dtype: dtype, shape, base64 bytes
``__scalar__``  NumPy scalar of such a dtype
``__tuple__``, ``__dict__`` (a list of key/value pairs), ``__complex__``, ``__bytes__``
``__rng__``     a NumPy ``Generator`` or ``RandomState``: its bit generator's state
``__object__``  an instance of a class from an allowed library (``helpers``): its fields
``__handle__``  an object that stays in the student's process (a function, a class, ...)
``__callback__`` a callable that stays in the grader's process
``__function__`` a library function named ``module:qualname`` (grader to student only)

Decoding never runs code: arrays are rebuilt from bytes with a whitelisted dtype, objects
of library classes from their field values; whatever else a message holds is refused.
"""
from __future__ import annotations

import base64
import importlib
import json
import os
import select
import struct
import time

import numpy as np

MAX_MESSAGE = 64 * 2**20          # bytes of one framed message to the student's process
MAX_REPLY = 16 * 2**20            # ... and from it: what the grader reads and parses stays small
MAX_DEPTH = 40                    # nesting of containers in one value
NUMERIC_KINDS = "biufc"           # bool, signed, unsigned, float, complex
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")
_HEADER = struct.Struct("!I")


class Unreadable(TypeError):
    """A value the other side cannot (or must not) rebuild."""


class ChannelClosed(Exception):
    """The other process ended, or sent something that is not a message."""


class ChannelViolation(ChannelClosed):
    """The other side wrote what the student server never sends: a frame over the limit, or
    bytes that are not a message (code of the student's writing into the pipe itself)."""


class ChannelTimeout(Exception):
    """No reply within the time allowed."""


def numeric_dtype(name: str) -> np.dtype:
    """``np.dtype(name)`` if it is a plain numeric dtype, else ``Unreadable``."""
    dtype = np.dtype(name)
    if dtype.kind not in NUMERIC_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise Unreadable(f"dtype {name!r} is not numeric")
    return dtype


def library_object(path: str, allowed: tuple[str, ...]):
    """Resolve ``module:qualname`` inside an allowed package, without importing anything new
    for modules outside it."""
    module_name, _, qualname = path.partition(":")
    if not any(module_name == root or module_name.startswith(root + ".") for root in allowed):
        raise Unreadable(f"{path} is not from {', '.join(allowed)}")
    target = importlib.import_module(module_name)
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


def qualified_name(obj) -> str | None:
    """``module:qualname`` of a function or class, if that name leads back to ``obj``."""
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str) or "<" in qualname:
        return None
    try:
        return f"{module}:{qualname}" if library_object(f"{module}:{qualname}", (module,)) is obj else None
    except Exception:
        return None


class Codec:
    """Encode and decode values. ``encode_other`` and the ``decode_*`` hooks decide what a
    side does with functions and objects (see ``student.py`` and ``grading.engine.grader.link``)."""

    libraries: tuple[str, ...] = ("helpers",)

    def encode(self, value, depth: int = 0):
        if depth > MAX_DEPTH:
            raise Unreadable("the value is nested too deeply")
        if value is None or type(value) in (bool, int, float, str):
            return value
        if type(value) is np.ndarray or isinstance(value, np.ndarray):
            array = np.asarray(value, order="C")  # not ascontiguousarray: it makes 0-d arrays 1-d
            numeric_dtype(array.dtype.str)
            array = array.astype(array.dtype.newbyteorder("="), copy=False)
            return {"__array__": [array.dtype.str, list(array.shape), _b64(array.tobytes())]}
        if isinstance(value, np.generic) and value.dtype.kind in NUMERIC_KINDS:
            return {"__scalar__": [value.dtype.str, _b64(value.tobytes())]}
        if isinstance(value, (np.random.Generator, np.random.RandomState)):
            state = value.bit_generator.state if isinstance(value, np.random.Generator) else value.get_state(legacy=False)
            return {"__rng__": [type(value).__name__, self.encode(state, depth + 1)]}
        if type(value) is complex:
            return {"__complex__": [value.real, value.imag]}
        if type(value) is bytes:
            return {"__bytes__": _b64(value)}
        if type(value) is list:
            return [self.encode(item, depth + 1) for item in value]
        if type(value) is tuple:
            return {"__tuple__": [self.encode(item, depth + 1) for item in value]}
        if type(value) is dict:
            return {"__dict__": [[self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in value.items()]}
        return self.encode_other(value, depth)

    def encode_other(self, value, depth: int):
        """Objects of library classes by their fields; subclasses of plain types as those."""
        cls = type(value)
        name = qualified_name(cls)
        if name and name.split(".")[0].split(":")[0] in self.libraries:
            if isinstance(value, tuple) and hasattr(value, "_fields"):
                return {"__object__": [name, self.encode(tuple(value), depth + 1)]}
            if hasattr(value, "__dict__") and not hasattr(cls, "__slots__"):
                return {"__object__": [name, self.encode(dict(vars(value)), depth + 1)]}
        for plain in (bool, int, float, str, complex, list, tuple, dict):
            if isinstance(value, plain):
                return self.encode(plain(value), depth)
        raise Unreadable(f"an object of type {cls.__name__}")

    def decode(self, tree, depth: int = 0):
        if depth > MAX_DEPTH:
            raise Unreadable("the value is nested too deeply")
        if tree is None or type(tree) in (bool, int, float, str):
            return tree
        if type(tree) is list:
            return [self.decode(item, depth + 1) for item in tree]
        if type(tree) is not dict or len(tree) != 1:
            raise Unreadable("a malformed value")
        (tag, body), = tree.items()
        if tag == "__array__":
            dtype, shape, data = body
            shape = tuple(int(n) for n in shape)
            return np.frombuffer(base64.b64decode(data), dtype=numeric_dtype(dtype)).reshape(shape).copy()
        if tag == "__scalar__":
            dtype, data = body
            return np.frombuffer(base64.b64decode(data), dtype=numeric_dtype(dtype))[0]
        if tag == "__rng__":
            return random_generator(body[0], self.decode(body[1], depth + 1))
        if tag == "__tuple__":
            return tuple(self.decode(item, depth + 1) for item in body)
        if tag == "__dict__":
            return {self.decode(k, depth + 1): self.decode(v, depth + 1) for k, v in body}
        if tag == "__complex__":
            return complex(float(body[0]), float(body[1]))
        if tag == "__bytes__":
            return base64.b64decode(body)
        if tag == "__object__":
            return self.decode_object(body[0], self.decode(body[1], depth + 1))
        if tag == "__handle__":
            return self.decode_handle(int(body))
        if tag == "__callback__":
            return self.decode_callback(int(body))
        if tag == "__function__":
            return self.decode_function(str(body))
        raise Unreadable(f"an unknown tag {tag!r}")

    def decode_object(self, name: str, fields):
        cls = library_object(name, self.libraries)
        if not isinstance(cls, type) or qualified_name(cls) != name:
            raise Unreadable(f"{name} is not a class of {', '.join(self.libraries)}")
        if issubclass(cls, tuple) and hasattr(cls, "_make") and isinstance(fields, tuple):
            return cls._make(fields)
        if isinstance(fields, dict) and not hasattr(cls, "__slots__"):
            obj = cls.__new__(cls)
            obj.__dict__.update(fields)
            return obj
        raise Unreadable(f"fields that do not fit {name}")

    def decode_handle(self, handle: int):
        raise Unreadable("a handle")

    def decode_callback(self, ident: int):
        raise Unreadable("a callback")

    def decode_function(self, name: str):
        raise Unreadable("a function by name")


def random_generator(kind: str, state: dict):
    """A NumPy ``Generator`` or ``RandomState`` in the given state (of a known bit generator)."""
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if name not in BIT_GENERATORS or kind not in ("Generator", "RandomState"):
        raise Unreadable(f"a random generator {kind}/{name}")
    if kind == "RandomState":
        generator = np.random.RandomState()
        generator.set_state(state)
        return generator
    bits = getattr(np.random, name)()
    bits.state = state
    return np.random.Generator(bits)


def copy_back(original, returned, opaque: tuple[type, ...] = ()) -> None:
    """Write what a call in the other process did to its arguments back into this process's
    own objects, in place. ``opaque``: types whose instances stand for objects of the other
    process (the grader's ``Remote``), never copied field by field."""
    if isinstance(original, np.random.Generator) and isinstance(returned, np.random.Generator):
        original.bit_generator.state = returned.bit_generator.state
    elif isinstance(original, np.random.RandomState) and isinstance(returned, np.random.RandomState):
        original.set_state(returned.get_state(legacy=False))
    elif isinstance(original, np.ndarray) and isinstance(returned, np.ndarray):
        if original.shape == returned.shape and original.flags.writeable:
            np.copyto(original, returned, casting="unsafe")
    elif isinstance(original, list) and isinstance(returned, list):
        if len(original) == len(returned):
            for index, (mine, theirs) in enumerate(zip(original, returned)):
                _copy_item(original, index, mine, theirs, opaque)
        else:
            original[:] = returned
    elif isinstance(original, dict) and isinstance(returned, dict):
        for key in [k for k in original if k not in returned]:
            del original[key]
        for key, theirs in returned.items():
            _copy_item(original, key, original.get(key), theirs, opaque)
    elif isinstance(original, tuple) and isinstance(returned, tuple) and len(original) == len(returned):
        for mine, theirs in zip(original, returned):
            copy_back(mine, theirs, opaque)
    elif (type(original) is type(returned) and hasattr(original, "__dict__")
          and not isinstance(original, (tuple, *opaque))):
        copy_back(vars(original), vars(returned), opaque)


def _copy_item(container, key, mine, theirs, opaque) -> None:
    if isinstance(mine, (np.ndarray, list, dict, np.random.Generator)) and type(mine) is type(theirs):
        copy_back(mine, theirs, opaque)
    else:
        container[key] = theirs


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class Channel:
    """Length-prefixed JSON messages over two pipe file descriptors.

    ``request`` sends a message and waits for the reply (a message with a ``reply`` key);
    requests that arrive meanwhile (callbacks, nested calls) go to ``serve`` and are answered
    at once, so either side may call the other while it is being called. With a deadline the
    writes and reads never block past it (the grader's side); without, they block (the
    student's side, which is killed from outside if it hangs). Each side reads frames of at
    most ``receive_limit`` bytes: anything else ends the channel as a ``ChannelViolation``.
    """

    def __init__(self, read_fd: int, write_fd: int, serve, receive_limit: int = MAX_MESSAGE,
                 send_limit: int = MAX_MESSAGE):
        self.read_fd, self.write_fd, self.serve = read_fd, write_fd, serve
        self.receive_limit, self.send_limit = receive_limit, send_limit

    def request(self, message: dict, deadline: float | None = None) -> dict:
        self.send(message, deadline)
        while True:
            incoming = self.receive(deadline)
            if "reply" in incoming:
                return incoming
            self.send({"reply": True, **self.serve(incoming)}, deadline)

    def send(self, message: dict, deadline: float | None = None) -> None:
        payload = json.dumps(message, separators=(",", ":")).encode()
        if len(payload) > self.send_limit:
            raise Unreadable(f"a message of {len(payload)} bytes (the limit is {self.send_limit})")
        data = memoryview(_HEADER.pack(len(payload)) + payload)
        while data:
            self._wait(select.POLLOUT, deadline)
            try:
                data = data[os.write(self.write_fd, data):]
            except BlockingIOError:
                continue
            except (BrokenPipeError, OSError) as error:
                raise ChannelClosed(str(error)) from None

    def receive(self, deadline: float | None = None) -> dict:
        (size,) = _HEADER.unpack(self._read(_HEADER.size, deadline))
        if size > self.receive_limit:
            raise ChannelViolation(f"a message of {size} bytes announced (the limit is {self.receive_limit})")
        try:
            message = json.loads(self._read(size, deadline))
        except (ValueError, RecursionError) as error:
            raise ChannelViolation(f"an unreadable message ({type(error).__name__})") from None
        if not isinstance(message, dict):
            raise ChannelViolation("a message that is not an object")
        return message

    def _read(self, size: int, deadline: float | None) -> bytes:
        chunks, missing = [], size
        while missing:
            self._wait(select.POLLIN, deadline)
            try:
                chunk = os.read(self.read_fd, min(missing, 1 << 20))
            except BlockingIOError:
                continue
            if not chunk:
                raise ChannelClosed("the other process ended")
            chunks.append(chunk)
            missing -= len(chunk)
        return b"".join(chunks)

    def _wait(self, event: int, deadline: float | None) -> None:
        if deadline is None:
            return
        fd = self.read_fd if event == select.POLLIN else self.write_fd
        poller = select.poll()
        poller.register(fd, event)
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not poller.poll(remaining * 1000):
            raise ChannelTimeout()
