"""ctypes prototypes of mini-racer 0.14.1's C API and the process-wide callback dispatcher.

We call the shared library directly instead of going through `py_mini_racer`'s
Python classes: those add an asyncio loop thread per context and ~100 µs per
eval, and their JS->Python path is async only (functions.md §4.2, §4.5 R2).
The signatures and the value-struct layout below are facts about the pinned
wheel (`mini-racer>=0.14.1,<0.15`); an upgrade must re-check them.

The library reports every task result and every JS->native call through one C
callback `(callback_id, value*)`, invoked on the V8 thread of the context that
produced it. Callback ids are therefore process-unique here: one `CFUNCTYPE`
object serves all contexts and dispatches by id to a registered Python target.
"""

from __future__ import annotations

import ctypes
import itertools
import logging
import threading
from collections.abc import Callable
from typing import ClassVar

logger = logging.getLogger(__name__)


class _ValueUnion(ctypes.Union):
    _fields_: ClassVar = [
        ("value_ptr", ctypes.c_void_p),
        ("int_val", ctypes.c_int64),
        ("double_val", ctypes.c_double),
    ]


class RawValue(ctypes.Structure):
    """mini-racer's `ValueHandle`: a tagged union, packed (`#pragma pack(1)` in the library)."""

    _pack_ = 1
    _fields_: ClassVar = [
        ("value", _ValueUnion),
        ("len", ctypes.c_size_t),
        ("type", ctypes.c_uint8),
    ]


ValuePtr = ctypes.POINTER(RawValue)
CALLBACK_TYPE = ctypes.CFUNCTYPE(None, ctypes.c_uint64, ValuePtr)


class T:
    """Type tags of `RawValue.type` (mini-racer's `ValueTypes`)."""

    NULL = 1
    BOOL = 2
    INTEGER = 3
    DOUBLE = 4
    STR_UTF8 = 5
    ARRAY = 6
    DATE = 8
    SYMBOL = 9
    OBJECT = 10
    UNDEFINED = 11
    FUNCTION = 100
    SHARED_ARRAY_BUFFER = 101
    ARRAY_BUFFER = 102
    PROMISE = 103
    EXECUTE_EXCEPTION = 200
    PARSE_EXCEPTION = 201
    OOM_EXCEPTION = 202
    TIMEOUT_EXCEPTION = 203
    TERMINATED_EXCEPTION = 204
    VALUE_EXCEPTION = 205
    KEY_EXCEPTION = 206


def load(path: str) -> ctypes.CDLL:
    """Our own CDLL object over the already-initialised library, with our own prototypes.

    `dlopen` of the same path returns the same loaded image, so V8 state is shared
    with `py_mini_racer` (which must be the one to call `mr_init_v8`, exactly once).
    """
    lib = ctypes.CDLL(path)
    u64, vp = ctypes.c_uint64, ValuePtr
    protos: dict[str, tuple[list[object], object]] = {
        "mr_init_context": ([CALLBACK_TYPE], u64),
        "mr_free_context": ([u64], None),
        "mr_eval": ([u64, vp, u64], u64),
        "mr_cancel_task": ([u64, u64], None),
        "mr_free_value": ([u64, vp], None),
        "mr_alloc_string_val": ([u64, ctypes.c_char_p, u64, ctypes.c_uint8], vp),
        "mr_make_js_callback": ([u64, u64], vp),
        "mr_set_object_item": ([u64, vp, vp, vp], vp),
        "mr_heap_stats": ([u64], vp),
        "mr_set_hard_memory_limit": ([u64, ctypes.c_size_t], None),
        "mr_hard_memory_limit_reached": ([u64], ctypes.c_bool),
        "mr_value_count": ([u64], ctypes.c_size_t),
        "mr_context_count": ([], ctypes.c_size_t),
        "mr_v8_version": ([], ctypes.c_char_p),
    }
    for name, (argtypes, restype) in protos.items():
        fn = getattr(lib, name)
        fn.argtypes = argtypes
        fn.restype = restype
    return lib


Target = Callable[["ctypes._Pointer[RawValue]"], None]

_targets: dict[int, Target] = {}
_next_id = itertools.count(1)
_id_lock = threading.Lock()


def register(target: Target) -> int:
    """A fresh process-unique callback id routed to `target` (called on a V8 thread)."""
    with _id_lock:
        callback_id = next(_next_id)
    _targets[callback_id] = target
    return callback_id


def unregister(callback_id: int) -> None:
    _targets.pop(callback_id, None)


_thread = threading.local()
_gil_ensure = ctypes.pythonapi.PyGILState_Ensure
_gil_ensure.argtypes = []
_gil_ensure.restype = ctypes.c_int
_gil_release = ctypes.pythonapi.PyGILState_Release
_gil_release.argtypes = [ctypes.c_int]
_gil_release.restype = None


def pin_thread_state() -> None:
    """Keep this V8 thread's Python thread state alive between callbacks.

    ctypes wraps each callback from a foreign thread in PyGILState_Ensure/Release,
    which creates and destroys a thread state every time (~7 µs, most of a bridge
    call, and thread-locals reset). One extra Ensure keeps the count above zero;
    `unpin_thread_state` undoes it when the context closes. Called only from
    callbacks of open contexts, so a closing context's thread is not pinned again.
    """
    if not getattr(_thread, "pinned", False):
        _thread.state = _gil_ensure()
        _thread.pinned = True


def unpin_thread_state() -> None:
    """Drop the extra reference from `pin_thread_state`; call on the V8 thread, in a callback.

    ctypes' own Release at the end of that callback then deletes the thread state.
    """
    if getattr(_thread, "pinned", False):
        _thread.pinned = False
        _gil_release(_thread.state)


def _dispatch(callback_id: int, value: ctypes._Pointer[RawValue]) -> None:
    """Never lets a Python exception reach ctypes: that would only print, and leak the value."""
    try:
        target = _targets.get(callback_id)
        if target is None:
            logger.debug("V8 callback %d has no target (context gone?)", callback_id)
            return
        target(value)
    except BaseException:  # noqa: BLE001 - this frame returns into C++
        logger.exception("unexpected error in the V8 callback dispatcher")


DISPATCH = CALLBACK_TYPE(_dispatch)
"""The one C callback object of the process; module-level so it is never collected."""
