"""Decodes a Keras Lambda's marshalled bytecode and evaluates it, for the
few simple functions the real files hold (tf.clip_by_value(x, -4, 4),
tf.space_to_depth(x, block_size=2), K.mean / K.sum / K.square, x * 0.5).

The code objects were marshalled by Python 3.6-3.10, whose code objects this
Python (3.11) cannot unmarshal, so this module reads the marshal format
itself and runs the bytecode on a tiny stack machine that knows only the
opcodes and functions listed below; anything else is Unsupported.
"""

import base64
import struct

import torch

from layers import Unsupported


class Code:
    """The fields of a code object that evaluation needs."""

    def __init__(self, argcount, code, consts, names, varnames, freevars, cellvars, name):
        self.argcount = argcount
        self.code = code
        self.consts = consts
        self.names = names
        self.varnames = varnames
        self.freevars = freevars
        self.cellvars = cellvars
        self.name = name


class Reader:
    """Python's marshal format, versions 3-4 (Python 3.4 to 3.10)."""

    def __init__(self, data, posonly):
        self.b = data
        self.i = 0
        self.refs = []
        self.posonly = posonly  # code objects of 3.8+ carry posonlyargcount

    def u8(self):
        v = self.b[self.i]
        self.i += 1
        return v

    def i32(self):
        v = struct.unpack_from("<i", self.b, self.i)[0]
        self.i += 4
        return v

    def take(self, n):
        v = self.b[self.i:self.i + n]
        self.i += n
        return v

    def obj(self):
        code = self.u8()
        flag, t = code & 0x80, chr(code & 0x7F)
        slot = None
        if flag:
            slot = len(self.refs)
            self.refs.append(None)
        v = self.value(t)
        if slot is not None:
            self.refs[slot] = v
        return v

    def value(self, t):
        if t == "N":
            return None
        if t == "T":
            return True
        if t == "F":
            return False
        if t == "i":
            return self.i32()
        if t == "g":
            return struct.unpack("<d", self.take(8))[0]
        if t == "s":
            return bytes(self.take(self.i32()))
        if t in "zZ":
            return self.take(self.u8()).decode("latin-1")
        if t in "atAu":
            return self.take(self.i32()).decode("utf-8")
        if t == ")":
            return tuple(self.obj() for _ in range(self.u8()))
        if t == "(":
            return tuple(self.obj() for _ in range(self.i32()))
        if t == "r":
            return self.refs[self.i32()]
        if t == "c":
            argcount = self.i32()
            if self.posonly:
                self.i32()
            self.i32()  # kwonlyargcount
            self.i32()  # nlocals
            self.i32()  # stacksize
            self.i32()  # flags
            code = self.obj()
            consts = self.obj()
            names = self.obj()
            varnames = self.obj()
            freevars = self.obj()
            cellvars = self.obj()
            self.obj()  # filename
            name = self.obj()
            self.i32()  # firstlineno
            self.obj()  # lnotab
            return Code(argcount, code, consts, names, varnames, freevars, cellvars, name)
        raise Unsupported("marshal type %r in Lambda code" % t)


def load(b64):
    data = base64.b64decode(b64)
    if data[0] & 0x7F != ord("c"):
        raise Unsupported("Lambda function is not a code object")
    # The code string follows 5 int32 header fields before 3.8, 6 from 3.8 on.
    posonly = (data[1 + 4 * 5] & 0x7F) != ord("s")
    return Reader(data, posonly).obj()


# Opcodes shared by CPython 3.6-3.10 wordcode.
OPS = {
    1: "POP_TOP", 20: "BINARY_MULTIPLY", 23: "BINARY_ADD", 24: "BINARY_SUBTRACT",
    27: "BINARY_TRUE_DIVIDE", 83: "RETURN_VALUE", 100: "LOAD_CONST", 106: "LOAD_ATTR",
    108: "IMPORT_NAME", 116: "LOAD_GLOBAL", 124: "LOAD_FAST", 125: "STORE_FAST",
    131: "CALL_FUNCTION", 136: "LOAD_DEREF", 141: "CALL_FUNCTION_KW", 144: "EXTENDED_ARG",
    160: "LOAD_METHOD", 161: "CALL_METHOD",
}

MODULES = {"K": "K", "tf": "tf", "tensorflow": "tf", "backend": "K", "keras.backend": "K"}


def _axis_kw(args, kw, name):
    x = args[0]
    axis = args[1] if len(args) > 1 else kw.get("axis")
    keep = args[2] if len(args) > 2 else kw.get("keepdims", False)
    fn = {"mean": torch.mean, "sum": torch.sum}[name]
    if axis is None:
        return fn(x)
    return fn(x, dim=axis, keepdim=bool(keep))


def _space_to_depth(x, block_size):
    n, h, w, c = x.shape
    b = block_size
    y = x.reshape(n, h // b, b, w // b, b, c).permute(0, 1, 3, 2, 4, 5)
    return y.reshape(n, h // b, w // b, b * b * c)


FUNCS = {
    "K.mean": lambda a, k: _axis_kw(a, k, "mean"),
    "tf.reduce_mean": lambda a, k: _axis_kw(a, k, "mean"),
    "K.sum": lambda a, k: _axis_kw(a, k, "sum"),
    "tf.reduce_sum": lambda a, k: _axis_kw(a, k, "sum"),
    "K.square": lambda a, k: a[0] * a[0],
    "tf.square": lambda a, k: a[0] * a[0],
    "tf.clip_by_value": lambda a, k: torch.clamp(
        a[0], a[1] if len(a) > 1 else k["clip_value_min"], a[2] if len(a) > 2 else k["clip_value_max"]),
    "K.clip": lambda a, k: torch.clamp(a[0], a[1], a[2]),
    "tf.space_to_depth": lambda a, k: _space_to_depth(a[0], a[1] if len(a) > 1 else k["block_size"]),
    "tf.nn.space_to_depth": lambda a, k: _space_to_depth(a[0], a[1] if len(a) > 1 else k["block_size"]),
}


class Path(str):
    """A module attribute path such as "tf.clip_by_value"."""


def evaluate(code, args, kwargs, closure, calls):
    """Runs code(*args, **kwargs) with closure cells, returning a tensor;
    appends the name of every function it calls to calls."""
    local = list(args) + [None] * (len(code.varnames) - len(args))
    for k, v in kwargs.items():
        local[code.varnames.index(k)] = v
    cells = list(closure or [])
    stack = []
    b = code.code
    ext = 0
    for pc in range(0, len(b), 2):
        op, arg = b[pc], b[pc + 1] | ext
        ext = 0
        name = OPS.get(op)
        if name is None:
            raise Unsupported("opcode %d in Lambda %s" % (op, code.name))
        if name == "EXTENDED_ARG":
            ext = arg << 8
        elif name == "LOAD_CONST":
            stack.append(code.consts[arg])
        elif name == "LOAD_FAST":
            stack.append(local[arg])
        elif name == "STORE_FAST":
            local[arg] = stack.pop()
        elif name == "LOAD_DEREF":
            stack.append(cells[arg - len(code.cellvars)])
        elif name == "LOAD_GLOBAL":
            g = code.names[arg]
            if g not in MODULES:
                raise Unsupported("global %r in Lambda %s" % (g, code.name))
            stack.append(Path(MODULES[g]))
        elif name == "IMPORT_NAME":
            stack.pop()
            stack.pop()
            m = code.names[arg]
            if m not in MODULES:
                raise Unsupported("import %r in Lambda %s" % (m, code.name))
            stack.append(Path(MODULES[m]))
        elif name in ("LOAD_ATTR", "LOAD_METHOD"):
            base = stack.pop()
            if not isinstance(base, Path):
                raise Unsupported("attribute of a value in Lambda %s" % code.name)
            stack.append(Path(base + "." + code.names[arg]))
        elif name in ("CALL_FUNCTION", "CALL_METHOD", "CALL_FUNCTION_KW"):
            kw = {}
            if name == "CALL_FUNCTION_KW":
                keys = stack.pop()
                vals = stack[len(stack) - len(keys):]
                del stack[len(stack) - len(keys):]
                kw = dict(zip(keys, vals))
                arg -= len(keys)
            pos = stack[len(stack) - arg:] if arg else []
            del stack[len(stack) - arg:]
            fn = stack.pop()
            if fn not in FUNCS:
                raise Unsupported("call of %s in Lambda %s" % (fn, code.name))
            calls.append(str(fn))
            stack.append(FUNCS[fn](pos, kw))
        elif name.startswith("BINARY_"):
            r, l = stack.pop(), stack.pop()
            calls.append(name.lower()[7:])
            stack.append({"BINARY_MULTIPLY": lambda: l * r, "BINARY_ADD": lambda: l + r,
                          "BINARY_SUBTRACT": lambda: l - r, "BINARY_TRUE_DIVIDE": lambda: l / r}[name]())
        elif name == "POP_TOP":
            stack.pop()
        elif name == "RETURN_VALUE":
            return stack.pop()
    raise Unsupported("Lambda %s does not return" % code.name)


def lambda_layer(ctx, cfg, w, xs, ms):
    """Keras Lambda whose function is marshalled bytecode (function_type lambda)."""
    if cfg.get("function_type") != "lambda":
        raise Unsupported("Lambda function_type %r" % cfg.get("function_type"))
    fn = cfg["function"]
    b64, _, closure = (fn + [None, None])[:3] if isinstance(fn, list) else (fn, None, None)
    code = load(b64)
    x = xs[0] if len(xs) == 1 else list(xs)
    calls = []
    y = evaluate(code, [x], dict(cfg.get("arguments") or {}), closure, calls)
    ctx.notes.add("Lambda %s: decoded bytecode of %s calling %s (closure %r)" % (
        cfg["name"], code.name, ", ".join(calls), closure))
    return [y], [None]
