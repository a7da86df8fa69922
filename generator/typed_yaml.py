"""Typed models declared as frozen dataclasses, built from located YAML and described as JSON Schema.

A field's constraints live once, in its ``setting(...)`` metadata, and serve both
validation (every problem collected, each with its dotted path and line) and the
JSON Schema that editors use for completion.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
import types
import typing
from collections import ChainMap
from collections.abc import Callable, Mapping
from typing import Any, Literal, Union

from .errors import Problem
from .unseen import describe, first_invisible
from .yaml_source import YAML11_BOOLEANS, Located

_INVALID = object()
# The fields a ``derive`` sees from enclosing objects: none at the top of the spec.
_TOP: Mapping[str, Any] = types.MappingProxyType({})


def setting(
    description: str,
    default: Any = dataclasses.MISSING,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    pattern: str | None = None,
    choices: tuple[object, ...] | None = None,
    key_pattern: str | None = None,
    key_hint: str | None = None,
    example: object = None,
    derive: Callable[[Mapping[str, Any]], Any] | None = None,
    from_key: bool = False,
    loaded: bool = False,
) -> Any:
    """A model field with its description and constraints.

    ``derive`` computes the field's default from the fields before it (by name) when the spec
    leaves it out, so a default that depends on other settings is the model's, not a pre-pass
    over the YAML; in a nested model it also sees the enclosing objects' fields declared before
    the nested one (a backup setting can follow its environment's ``production``). A nested
    model whose default is a mapping is built from that mapping when the spec leaves it out, so
    its own defaults and derivations apply. ``from_key`` fills the field with the mapping key the
    object is written under (an environment's name); such a field is not a key of the spec. Nor is a ``loaded``
    field: the loader fills it afterwards (from a file that another key names).
    """
    metadata = {
        "description": description,
        "minimum": minimum,
        "maximum": maximum,
        "pattern": pattern,
        "choices": choices,
        "key_pattern": key_pattern,
        "key_hint": key_hint,
        "example": example,
        "derive": derive,
        "from_key": from_key,
        "loaded": loaded,
    }
    if isinstance(default, (dict, list)):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    """The model's field types, resolved once per class (a spec builds thousands of objects)."""
    return typing.get_type_hints(cls)


def _has_default(field: dataclasses.Field) -> bool:
    return (field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
            or field.metadata.get("derive") is not None)


@functools.cache
def spec_fields(cls: type) -> tuple[dataclasses.Field, ...]:
    """The fields of ``cls`` that a spec writes as keys (not those filled from the mapping key or
    by the loader)."""
    return tuple(f for f in dataclasses.fields(cls)
                 if f.init and not (f.metadata.get("from_key") or f.metadata.get("loaded")))


def _describe(value: object) -> str:
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    if value is None:
        return "nothing (null)"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _type_name(tp: Any) -> str:
    if tp is bool:
        return "true or false"
    if tp is int:
        return "an integer"
    if tp is str:
        return "a string"
    return "a mapping"


class Builder:
    """Builds dataclass instances from Located values, collecting every problem."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._partial = False

    def problem(self, loc: Located, message: str, hint: str | None = None, path: str | None = None):
        self.problems.append(Problem(path or loc.path, message, loc.line, hint))

    def build(self, cls: type, loc: Located, handled_elsewhere: tuple[str, ...] = (),
              under: str | None = None, scope: Mapping[str, Any] | None = _TOP) -> Any:
        """An instance of ``cls``, or _INVALID after recording why not.

        ``handled_elsewhere`` names keys the caller has taken out of ``loc`` already; they are
        only offered as suggestions for misspelled keys. ``under`` is the mapping key ``loc`` is
        written under, for a ``from_key`` field. ``scope`` holds the enclosing objects' fields
        for ``derive`` (None when one of them is invalid: nothing can be derived then).
        """
        if not isinstance(loc.value, dict):
            self.problem(loc, f"must be a mapping, got {_describe(loc.value)}")
            return _INVALID
        fields = {f.name: f for f in spec_fields(cls)}
        hints = _type_hints(cls)
        valid = [*fields, *handled_elsewhere]
        unknown = [key for key in loc.value if key not in fields]
        misplaced = _misplaced(unknown, hints)
        # Several keys of one nested block written at this level: its indentation is wrong. Say
        # that once, rather than once per key and again for the block they left empty.
        blocks = {parent: keys for parent, keys in misplaced.items() if len(keys) > 1}
        stray = {keys[0]: parent for parent, keys in misplaced.items() if len(keys) == 1}
        for key in unknown:
            if any(key in keys for keys in blocks.values()):
                continue
            if key in stray:
                hint = f"it belongs under {stray[key]}:"
            else:
                close = difflib.get_close_matches(key, valid, n=1)
                hint = f"did you mean '{close[0]}'?" if close else "valid keys: " + ", ".join(valid)
            self.problem(loc.value[key], f"unknown key '{key}'", hint)
        for parent, keys in blocks.items():
            at = loc.value.get(parent) or loc.value[keys[0]]
            self.problem(at, f"keys {', '.join(keys)} belong under {parent}:", "indent them",
                         path=loc.child_path(parent))
        # In declaration order, so that a derived field sees every field before it, defaulted ones
        # too, and a nested model sees its enclosing objects' (``scope``).
        values: dict[str, Any] = {}
        ok = scope is not None and not blocks
        for field in dataclasses.fields(cls):
            name = field.name
            inner = ChainMap(values, scope) if ok else None
            if field.metadata.get("from_key"):
                values[name] = under
            elif name in blocks or field.metadata.get("loaded"):
                continue
            elif name in loc.value:
                value = self.convert(hints[name], loc.value[name], field.metadata, scope=inner)
                ok = ok and value is not _INVALID
                values[name] = value
            elif self._partial:
                continue
            elif field.metadata.get("derive"):
                if ok:
                    values[name] = field.metadata["derive"](inner)
            elif dataclasses.is_dataclass(hints[name]) and field.default_factory is not dataclasses.MISSING:
                value = self.build(hints[name], Located({}, loc.line, loc.child_path(name)), scope=inner)
                ok = ok and value is not _INVALID
                values[name] = value
            elif field.default is not dataclasses.MISSING:
                values[name] = field.default
            elif field.default_factory is not dataclasses.MISSING:
                values[name] = field.default_factory()
            else:
                self.problem(loc, "required key is missing", path=loc.child_path(name))
                ok = False
        if not ok or self._partial:
            return _INVALID
        return cls(**values)

    def check_partial(self, cls: type, loc: Located) -> None:
        """Check the keys ``loc`` has as ``cls`` types them, requiring none (for ``defaults``)."""
        self._partial = True
        try:
            self.build(cls, loc)
        finally:
            self._partial = False

    def convert(self, tp: Any, loc: Located, meta: Any, under: str | None = None,
                scope: Mapping[str, Any] | None = _TOP) -> Any:
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin in (Union, types.UnionType) and type(None) in args:
            inner = next(a for a in args if a is not type(None))
            return None if loc.value is None else self.convert(inner, loc, meta, under, scope)
        if origin is Literal:
            if loc.value not in args:
                allowed = ", ".join(str(a) for a in args)
                self.problem(loc, f"must be one of {allowed}, got {_describe(loc.value)}")
                return _INVALID
            return loc.value
        if origin is dict:
            return self.convert_dict(args[1], loc, meta, scope)
        if dataclasses.is_dataclass(tp):
            return self.build(tp, loc, under=under, scope=scope)
        return self.convert_scalar(tp, loc, meta)

    def convert_dict(self, value_type: Any, loc: Located, meta: Any,
                     scope: Mapping[str, Any] | None = _TOP) -> Any:
        if not isinstance(loc.value, dict):
            self.problem(loc, f"must be a mapping, got {_describe(loc.value)}")
            return _INVALID
        result, ok = {}, True
        for key, child in loc.value.items():
            if meta.get("key_pattern") and not re.fullmatch(meta["key_pattern"], key):
                self.problem(child, f"'{key}' is not a valid name here", meta.get("key_hint"))
                ok = False
            value = self.convert(value_type, child, {}, key, scope)
            ok = ok and value is not _INVALID
            result[key] = value
        return result if ok else _INVALID

    def convert_scalar(self, tp: type, loc: Located, meta: Any) -> Any:
        value = loc.value
        if type(value) is not tp:
            hint = "quote it" if tp is str and isinstance(value, (int, float, bool)) else None
            if tp is bool and isinstance(value, str) and value in YAML11_BOOLEANS:
                hint = (f"in YAML 1.2, which tapgen reads, {value} is text: write "
                        f"{str(YAML11_BOOLEANS[value]).lower()}")
            self.problem(loc, f"must be {_type_name(tp)}, got {_describe(value)}", hint)
            return _INVALID
        unseen = first_invisible(value) if tp is str else None
        if unseen:
            index, char = unseen
            self.problem(loc, f"contains an invisible character {describe(char)}",
                         f"delete it: it is character {index + 1} of the value")
            return _INVALID
        message = _constraint_problem(meta, value)
        if message:
            self.problem(loc, message)
            return _INVALID
        return value


def _model_of(tp: Any) -> type | None:
    """The dataclass a field holds (through ``X | None``), or None."""
    if typing.get_origin(tp) in (Union, types.UnionType):
        tp = next(a for a in typing.get_args(tp) if a is not type(None))
    return tp if dataclasses.is_dataclass(tp) else None


def _misplaced(unknown: list[str], hints: dict[str, Any]) -> dict[str, list[str]]:
    """Unknown keys that are keys of a nested model, grouped by the field that holds that model."""
    if not unknown:
        return {}
    nested = {name: {f.name for f in dataclasses.fields(model)}
              for name, model in ((name, _model_of(tp)) for name, tp in hints.items()) if model}
    found: dict[str, list[str]] = {}
    for key in unknown:
        parent = next((name for name, keys in nested.items() if key in keys), None)
        if parent:
            found.setdefault(parent, []).append(key)
    return found


def _constraint_problem(meta: Any, value: Any) -> str | None:
    low, high = meta.get("minimum"), meta.get("maximum")
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            return f"must be between {low} and {high}, got {value}"
        return f"must be at least {low}, got {value}" if low is not None else f"must be at most {high}, got {value}"
    if meta.get("pattern") and not re.fullmatch(meta["pattern"], value):
        example = f" (for example {meta['example']!r})" if meta.get("example") else ""
        return f"{_describe(value)} is not a valid value{example}"
    if meta.get("choices") and value not in meta["choices"]:
        return f"must be one of {', '.join(map(str, meta['choices']))}, got {value}"
    return None


def json_schema(cls: type, *, required: bool = True) -> dict:
    """The JSON Schema (draft 2020-12) of a model class; ``required=False`` for partial mappings."""
    hints = _type_hints(cls)
    properties = {}
    needed = []
    for field in spec_fields(cls):
        properties[field.name] = _schema_for(hints[field.name], field, required)
        if required and not _has_default(field):
            needed.append(field.name)
    schema: dict = {"type": "object", "additionalProperties": False, "properties": properties}
    if needed:
        schema["required"] = needed
    return schema


def _schema_for(tp: Any, field: dataclasses.Field | None, required: bool) -> dict:
    meta = field.metadata if field else {}
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    schema: dict
    if origin in (Union, types.UnionType):
        inner = next(a for a in args if a is not type(None))
        schema = {"anyOf": [_schema_for(inner, None, required), {"type": "null"}]}
    elif origin is Literal:
        schema = {"enum": list(args)}
    elif origin is dict:
        schema = {"type": "object", "additionalProperties": _schema_for(args[1], None, required)}
        if meta.get("key_pattern"):
            schema["propertyNames"] = {"pattern": f"^(?:{meta['key_pattern']})$"}
    elif dataclasses.is_dataclass(tp):
        schema = json_schema(tp, required=required)
    else:
        schema = {"type": {bool: "boolean", int: "integer", str: "string"}[tp]}
    for key, name in (("minimum", "minimum"), ("maximum", "maximum"), ("choices", "enum")):
        if meta.get(key) is not None:
            schema[name] = list(meta[key]) if key == "choices" else meta[key]
    if meta.get("pattern"):
        schema["pattern"] = f"^(?:{meta['pattern']})$"
    if meta:
        schema = {"description": meta["description"], **schema}
        if _has_default(field) and not isinstance(field.default, (dict, list, type(None))):
            if field.default is not dataclasses.MISSING:
                schema["default"] = field.default
    return schema
