"""Hypothesis strategies derived from the contract's JSON Schemas: valid requests, and requests
one rule away from valid.

Nothing here restates the contract. A small compiler reads ``schemas/chat-completion.request.json``
and turns each keyword into values that keep it (``valid``, ``edges``) or break it and nothing
else (``breaks``), so a change to the schema changes what is generated. It understands the subset
of JSON Schema the project uses and refuses any other keyword, so a schema edit can never be
silently ignored.

``hypothesis-jsonschema`` was evaluated and does not fit: its last release (0.23.1) crashes with
current Hypothesis (it uses Hypothesis internals that have changed), supports drafts 4 to 7 (our
schemas are 2020-12), and generates valid data only.

What the schema cannot say is given as *hints*, each a narrowing of what it allows, never an
extension: the model comes from the configured models; ``max_tokens`` is kept small and always
set (cost); strings are drawn from a mix meant to break servers (empty, long, astral-plane,
right-to-left, control and JSON- or SSE-hostile characters). Properties the schema does not
declare are never generated: the schema allows them, but providers differ on unknown parameters.

A keyword listed in a subschema's ``x-convention`` annotation is an OpenAI convention rather than
a documented rule; requests that break it are marked ``convention`` (a SHOULD, not a MUST).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from jsonschema import Draft202012Validator

from conformance import schemas
from conformance.options import DEFAULTS

CONVENTION = "x-convention"
ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "$defs", "title", "description", "default", "examples"}
    | {CONVENTION}
)
ASSERTIONS = frozenset(
    {"type", "enum", "const", "required", "properties", "items", "minItems", "maxItems"}
    | {"minLength", "maxLength", "minimum", "maximum", "oneOf", "$ref"}
)
ARRAY_SLACK = 5  # an array without maxItems gets at most minItems + ARRAY_SLACK items
# generated valid requests always set max_tokens, at most this
DEFAULT_MAX_TOKENS = DEFAULTS["gen_max_tokens"]

# ------------------------------------------------------------------------------------ text
# Each sample is a string some server somewhere got wrong. Order matters: Hypothesis shrinks
# towards the first, so the simplest come first.
TEXT_SAMPLES = (
    "",
    " ",
    "Hello",
    "\n",
    "\U0001f600",  # emoji: outside the Basic Multilingual Plane, a surrogate pair in UTF-16
    "\U00010000",  # the first astral code point
    "\U0010fffd",  # the last usable one
    "\U0001d518\U0001d52b\U0001d526",  # mathematical Fraktur
    "\U00020bb7\u91ce\u5bb6",  # CJK, one of them astral
    "\U0001f469\u200d\U0001f469\u200d\U0001f467",  # a ZWJ sequence: one glyph, many code points
    "e\u0301",  # a combining accent
    "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd",  # Hebrew, right to left
    "\u0645\u0631\u062d\u0628\u0627 world",  # Arabic mixed with Latin
    "\u202eevil\u202c",  # right-to-left override
    "\x00",
    "\x1b[31mred\x1b[0m",  # ANSI escape codes
    "\r\n\r\n",
    "\u2028\u2029",  # JavaScript line terminators, legal in JSON strings
    "\x85\x0b\x0c\x1c",  # characters Python's str.splitlines() treats as line breaks
    "\ufeff",  # byte order mark
    "\ufffe\uffff",  # noncharacters
    '"}]}',
    "\\u0000 \\n \\\\",  # escapes that must stay text
    "data: [DONE]\n\n",  # an SSE terminator inside the content
    ": comment\nevent: x\nid: 1\n\n",
    '{"role": "assistant"}',
    "</script><script>alert(1)</script>",
    "null",
    "\u0000\ud7ff\ue000",
)
SPECIAL_CHARACTERS = "".join(sorted(set("".join(TEXT_SAMPLES)) | set("'\"\\/{}[]:,\t")))
# Any character JSON in UTF-8 can carry. Spelled out because st.text()'s default alphabet (the
# UTF-8 codec) costs about 2 s of start-up per fresh Hypothesis directory; categories cost 0.1 s.
ANY_CHARACTER = st.characters(exclude_categories=("Cs",))


@cache
def texts(min_size: int = 0, max_size: int | None = None) -> SearchStrategy[str]:
    """Message-like text with the characters that break servers; never lone surrogates, which
    JSON text in UTF-8 cannot carry."""
    strategy = st.one_of(
        st.sampled_from(TEXT_SAMPLES),
        st.text(st.sampled_from(SPECIAL_CHARACTERS), min_size=1, max_size=8),
        st.text(ANY_CHARACTER, min_size=1, max_size=16),
        st.tuples(st.sampled_from(TEXT_SAMPLES), st.sampled_from(TEXT_SAMPLES)).map("".join),
        st.builds(  # long: up to a few kilobytes
            lambda piece, count: piece * count,
            st.sampled_from(TEXT_SAMPLES[2:]),
            st.integers(16, 64),
        ),
    )
    if min_size or max_size is not None:
        upper = math.inf if max_size is None else max_size
        strategy = strategy.filter(lambda text: min_size <= len(text) <= upper)
    return strategy


# ----------------------------------------------------------------------------- the compiler


class UnsupportedSchema(ValueError):
    """The schema uses a keyword or form the compiler does not understand."""


@dataclass(frozen=True)
class Rule:
    """One assertion of the schema: a keyword at a location (a JSON pointer into the schema).

    ``convention`` marks keywords listed in the subschema's ``x-convention``: the documentation
    does not state them. ``detail`` names the property for ``required``.
    """

    pointer: str
    keyword: str
    convention: bool = False
    detail: str = ""

    def __str__(self) -> str:
        where = self.pointer or "the body"
        what = f"{self.keyword} {self.detail!r}" if self.detail else self.keyword
        return f"{what} at {where}" + (" (a convention)" if self.convention else "")


@dataclass(frozen=True)
class Break:
    """A rule, the values that break it and no other rule, and the simplest of them;
    ``alternatives`` are the next simplest, in order (a caller that refuses ``simplest`` for a
    reason of its own takes the first of these it accepts)."""

    rule: Rule
    values: SearchStrategy[Any]
    simplest: Any
    alternatives: tuple[Any, ...] = ()

    @property
    def candidates(self) -> tuple[Any, ...]:
        return (self.simplest, *self.alternatives)

    def wrapped(self, values: SearchStrategy[Any], wrap: Callable[[Any], Any]) -> Break:
        """The same rule broken inside a container: ``wrap`` puts a simple value in place."""
        return Break(self.rule, values, wrap(self.simplest), tuple(map(wrap, self.alternatives)))


@dataclass(frozen=True)
class OneRuleAway:
    """A request body that breaks exactly ``rule`` and nothing else."""

    body: Any
    rule: Rule


class SchemaStrategies:
    """Strategies for one root schema (its ``$defs`` and local ``$ref`` included).

    ``overrides`` replace the valid values at a schema pointer with a list of choices, the
    simplest first (e.g. the configured models at ``/properties/model``);
    ``narrowing`` merges keywords into the subschema at a pointer before valid values are drawn
    (e.g. a smaller ``maximum``, a longer ``required``). Both only ever narrow what is valid;
    invalid values are always derived from the unchanged schema.
    """

    def __init__(
        self,
        root: Mapping[str, Any],
        overrides: Mapping[str, Sequence[Any]] | None = None,
        narrowing: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.root = root
        self.overrides = {pointer: tuple(values) for pointer, values in (overrides or {}).items()}
        self.narrowing = dict(narrowing or {})
        self._valid: dict[str, SearchStrategy] = {}
        self._building: set[str] = set()
        self._check(root, "")

    # ------------------------------------------------------------------------- structure

    def _check(self, schema: Mapping[str, Any], pointer: str) -> None:
        unknown = set(schema) - ANNOTATIONS - ASSERTIONS
        if unknown:
            raise UnsupportedSchema(f"{pointer or '/'}: unsupported keywords {sorted(unknown)}")
        if "$ref" in schema and set(schema) - ANNOTATIONS != {"$ref"}:
            raise UnsupportedSchema(f"{pointer}: $ref with sibling assertions is not supported")
        if isinstance(schema.get("type"), list):
            raise UnsupportedSchema(f"{pointer}: a list of types is not supported")
        for name, sub in schema.get("properties", {}).items():
            self._check(sub, f"{pointer}/properties/{name}")
        if "items" in schema:
            self._check(schema["items"], f"{pointer}/items")
        for index, sub in enumerate(schema.get("oneOf", ())):
            self._check(sub, f"{pointer}/oneOf/{index}")
        for name, sub in schema.get("$defs", {}).items():
            self._check(sub, f"{pointer}/$defs/{name}")
        missing = set(schema.get("required", ())) - set(schema.get("properties", {}))
        if missing:
            raise UnsupportedSchema(f"{pointer}: required but undeclared {sorted(missing)}")

    def _resolve(self, schema: Mapping[str, Any], pointer: str) -> tuple[Mapping[str, Any], str]:
        seen = set()
        while "$ref" in schema:
            reference = schema["$ref"]
            if not reference.startswith("#/") or reference in seen:
                raise UnsupportedSchema(f"{pointer}: only local, non-circular $ref: {reference}")
            seen.add(reference)
            pointer = reference[1:]
            schema = self.root
            for part in pointer.strip("/").split("/"):
                key = part.replace("~1", "/").replace("~0", "~")
                schema = schema[int(key)] if isinstance(schema, list) else schema[key]
        return schema, pointer

    @cache  # noqa: B019 - one compiler per strategy build; the cache lives as long as it does
    def _validator(self, pointer: str) -> Draft202012Validator:
        schema, _ = self._resolve({"$ref": "#" + pointer} if pointer else self.root, pointer)
        return Draft202012Validator(_inlined(self, schema, pointer))

    def is_valid(self, pointer: str, value: Any) -> bool:
        """Whether ``value`` keeps every rule of the (unchanged) subschema at ``pointer``."""
        return self._validator(pointer).is_valid(value)

    # --------------------------------------------------------------------------- valid

    def valid(self, schema: Mapping[str, Any] | None = None, pointer: str = "") -> SearchStrategy:
        """Values the subschema accepts (narrowed by the hints)."""
        schema, pointer = self._resolve(self.root if schema is None else schema, pointer)
        # One strategy object per location, so that Hypothesis validates each only once.
        if pointer not in self._valid:
            if pointer in self._building:
                raise UnsupportedSchema(f"{pointer}: a recursive $ref is not supported")
            self._building.add(pointer)
            self._valid[pointer] = self._build_valid(schema, pointer)
            self._building.discard(pointer)
        return self._valid[pointer]

    def _build_valid(self, schema: Mapping[str, Any], pointer: str) -> SearchStrategy:
        if pointer in self.overrides:
            return st.sampled_from(self.overrides[pointer])
        schema = {**schema, **self.narrowing.get(pointer, {})}
        if "const" in schema:
            return st.just(schema["const"])
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        if "oneOf" in schema:
            branches = schema["oneOf"]
            return st.one_of(
                [self.valid(b, f"{pointer}/oneOf/{i}") for i, b in enumerate(branches)]
            ).filter(lambda value: self.is_valid(pointer, value))
        kind = schema.get("type")
        if kind == "object":
            return self._valid_object(schema, pointer)
        if kind == "array":
            return self._valid_array(schema, pointer)
        if kind == "string":
            return texts(schema.get("minLength", 0), schema.get("maxLength"))
        if kind in ("number", "integer"):
            return _numbers(kind, schema.get("minimum"), schema.get("maximum"))
        if kind == "boolean":
            return st.booleans()
        if kind == "null":
            return st.none()
        raise UnsupportedSchema(f"{pointer or '/'}: no type, enum or const to generate from")

    def _properties(
        self, schema: Mapping[str, Any], pointer: str, leave_out: str | None = None
    ) -> tuple[dict[str, SearchStrategy], dict[str, SearchStrategy]]:
        """Valid values of each property but ``leave_out``: (always present, maybe present)."""
        wanted = {**schema, **self.narrowing.get(pointer, {})}.get("required", ())
        required, optional = {}, {}
        for name, sub in schema.get("properties", {}).items():
            if name == leave_out:
                continue
            strategy = self.valid(sub, f"{pointer}/properties/{name}")
            (required if name in wanted else optional)[name] = strategy
        return required, optional

    def _valid_object(self, schema: Mapping[str, Any], pointer: str) -> SearchStrategy:
        required, optional = self._properties(schema, pointer)
        return st.fixed_dictionaries(required, optional=optional)

    def _valid_array(self, schema: Mapping[str, Any], pointer: str) -> SearchStrategy:
        """Any length in range; a declared maxItems is also hit exactly (its bound)."""
        items = self.valid(schema["items"], f"{pointer}/items")
        low = schema.get("minItems", 0)
        if "maxItems" not in schema:
            return st.lists(items, min_size=low, max_size=low + ARRAY_SLACK)
        high = schema["maxItems"]
        full = st.lists(items, min_size=high, max_size=high)
        return st.one_of(st.lists(items, min_size=low, max_size=high), full)

    # -------------------------------------------------------------------------- edges

    def edges(self, schema: Mapping[str, Any] | None = None, pointer: str = "") -> list[Any]:
        """Valid values on the subschema's edges, the simplest first: each optional property
        absent and present, each number at its bounds, each enum value, arrays at their
        shortest and (if declared) longest. One edge at a time, the rest kept simplest."""
        schema, pointer = self._resolve(self.root if schema is None else schema, pointer)
        if pointer in self.overrides:
            return [self.overrides[pointer][0]]
        schema = {**schema, **self.narrowing.get(pointer, {})}
        if "const" in schema:
            return [schema["const"]]
        if "enum" in schema:
            return list(schema["enum"])
        if "oneOf" in schema:
            found = [
                value
                for i, branch in enumerate(schema["oneOf"])
                for value in self.edges(branch, f"{pointer}/oneOf/{i}")
            ]
            return _unique(v for v in found if self.is_valid(pointer, v))
        kind = schema.get("type")
        if kind == "object":
            return self._object_edges(schema, pointer)
        if kind == "array":
            items = self.edges(schema["items"], f"{pointer}/items")
            low = schema.get("minItems", 0)
            found = [[items[0]] * low]
            if "maxItems" in schema:
                found.append([items[0]] * schema["maxItems"])
            found += [[item, *[items[0]] * (low - 1)] for item in items[1:]]
            return _unique(found)
        if kind == "string":
            low = schema.get("minLength", 0)
            return _unique(
                ["x" * low, *(["x" * schema["maxLength"]] if "maxLength" in schema else [])]
            )
        if kind in ("number", "integer"):
            low, high = schema.get("minimum"), schema.get("maximum")
            first = low if low is not None else (0 if high is None or high >= 0 else high)
            return _unique([first, *([high] if high is not None else [])])
        if kind == "boolean":
            return [False, True]
        if kind == "null":
            return [None]
        raise UnsupportedSchema(f"{pointer or '/'}: no type, enum or const to generate from")

    def _object_edges(self, schema: Mapping[str, Any], pointer: str) -> list[dict]:
        properties = schema.get("properties", {})
        required = schema.get("required", ())
        edges = {
            name: self.edges(sub, f"{pointer}/properties/{name}")
            for name, sub in properties.items()
        }
        simplest = {name: edges[name][0] for name in properties if name in required}
        found = [simplest]
        for name in properties:
            for value in edges[name][1:] if name in required else edges[name]:
                found.append({**simplest, name: value})
        return _unique(found)

    # ---------------------------------------------------------------------- one rule away

    def breaks(self, schema: Mapping[str, Any] | None = None, pointer: str = "") -> list[Break]:
        """For every rule of the subschema, the values that break it and no other rule."""
        schema, pointer = self._resolve(self.root if schema is None else schema, pointer)
        conventions = set(schema.get(CONVENTION, ()))

        def rule(keyword: str, detail: str = "") -> Rule:
            return Rule(pointer, keyword, keyword in conventions, detail)

        found: list[Break] = []
        for keyword in ("const", "enum"):
            if keyword in schema:
                allowed = schema["enum"] if keyword == "enum" else [schema["const"]]
                misses = _near_misses(allowed)
                found.append(Break(rule(keyword), _other_than(allowed, misses), misses[0]))
        if "oneOf" in schema:
            kinds = {branch.get("type") for branch in schema["oneOf"]}
            others = _json_values(exclude=kinds)
            simplest, *alternatives = _simplest_json(exclude=kinds)
            found.append(Break(rule("oneOf"), others, simplest, tuple(alternatives)))
            for index, branch in enumerate(schema["oneOf"]):
                where = f"{pointer}/oneOf/{index}"
                for inner in self.breaks(branch, where):
                    if (inner.rule.pointer, inner.rule.keyword) != (where, "type"):
                        found.append(inner)  # "no branch's type" is the oneOf rule above
        kind = schema.get("type")
        if kind is not None:
            found.append(self._type_break(schema, pointer, kind, rule("type")))
        if kind == "object":
            found += self._object_breaks(schema, pointer, rule)
        elif kind == "array":
            found += self._array_breaks(schema, pointer, rule)
        elif kind == "string":
            if schema.get("minLength", 0) > 0:
                shorter = schema["minLength"] - 1
                found.append(Break(rule("minLength"), texts(0, shorter), "x" * shorter))
            if "maxLength" in schema:
                longer = schema["maxLength"] + 1
                found.append(Break(rule("maxLength"), texts(longer), "x" * longer))
        elif kind in ("number", "integer"):
            found += _range_breaks(schema, kind, rule)
        # A drawn value that is valid after all (a wrong "type" that fits) is not sent.
        return [
            b.wrapped(b.values.filter(lambda v: not self.is_valid(pointer, v)), lambda v: v)
            for b in found
        ]

    def _simplest(self, schema: Mapping[str, Any], pointer: str) -> Any:
        return self.edges(schema, pointer)[0]

    def _object_breaks(self, schema, pointer, rule) -> list[Break]:
        found = []
        simplest = self._simplest(schema, pointer)
        for name in schema.get("required", ()):
            required, optional = self._properties(schema, pointer, leave_out=name)
            without = {k: v for k, v in simplest.items() if k != name}
            values = st.fixed_dictionaries(required, optional=optional)
            found.append(Break(rule("required", name), values, without))
        for name, sub in schema.get("properties", {}).items():
            required, optional = self._properties(schema, pointer, leave_out=name)
            rest = st.fixed_dictionaries(required, optional=optional)
            without = {k: v for k, v in simplest.items() if k != name}
            for inner in self.breaks(sub, f"{pointer}/properties/{name}"):
                values = st.builds(lambda r, b, n=name: {**r, n: b}, rest, inner.values)
                found.append(inner.wrapped(values, lambda v, n=name, w=without: {**w, n: v}))
        return found

    def _array_breaks(self, schema, pointer, rule) -> list[Break]:
        items = self.valid(schema["items"], f"{pointer}/items")
        first = self._simplest(schema["items"], f"{pointer}/items")
        low = schema.get("minItems", 0)
        high = schema.get("maxItems", low + ARRAY_SLACK)
        found = []
        if high >= 1:
            rest = st.lists(items, min_size=max(0, low - 1), max_size=high - 1)
            for inner in self.breaks(schema["items"], f"{pointer}/items"):
                values = st.builds(_inserted, rest, inner.values, st.integers(0, high - 1))
                found.append(inner.wrapped(values, lambda v: [v, *[first] * (low - 1)]))
        if low > 0:
            values = st.lists(items, max_size=low - 1)
            found.append(Break(rule("minItems"), values, [first] * (low - 1)))
        if "maxItems" in schema:
            top = schema["maxItems"]
            values = st.lists(items, min_size=top + 1, max_size=top + 3)
            found.append(Break(rule("maxItems"), values, [first] * (top + 1)))
        return found

    def _type_break(self, schema, pointer, kind: str, rule: Rule) -> Break:
        """Type confusions clients really make first (a number as a string, a value wrapped in
        a list), then any JSON value of another type."""
        valid = self.valid(schema, pointer)
        simplest = self._simplest(schema, pointer)
        confusions = []
        if kind != "string":
            confusions.append(valid.map(lambda v: json.dumps(v, ensure_ascii=False)))
        if kind == "array":
            confusions.append(self.valid(schema["items"], f"{pointer}/items"))
        else:
            confusions.append(valid.map(lambda v: [v]))
        if kind == "integer":  # in range, so that only the type is wrong
            low, high = schema.get("minimum"), schema.get("maximum")
            fractions = st.floats(low, high, allow_nan=False, allow_infinity=False)
            confusions.append(fractions.filter(_fractional))
        if kind == "boolean":
            confusions.append(st.sampled_from([0, 1, "true", "false", "yes"]))
        # A fraction is no integer but may break a bound too: fractions have their own rule.
        excluded = {"number", "integer"} if kind in ("number", "integer") else {kind}
        values = st.one_of([*confusions, _json_values(exclude=excluded)])
        first = json.dumps(simplest, ensure_ascii=False) if kind != "string" else [simplest]
        return Break(rule, values, first, tuple(_simplest_json(exclude=excluded)))


def _inserted(rest: list[Any], bad: Any, position: int) -> list[Any]:
    position = min(position, len(rest))
    return [*rest[:position], bad, *rest[position:]]


def _inlined(compiler: SchemaStrategies, schema: Mapping[str, Any], pointer: str) -> Any:
    """The subschema with every local $ref replaced by its target, so it validates alone."""
    schema, pointer = compiler._resolve(schema, pointer)
    result: dict[str, Any] = {k: v for k, v in schema.items() if k not in ("$defs", "$id")}
    if "properties" in schema:
        result["properties"] = {
            name: _inlined(compiler, sub, f"{pointer}/properties/{name}")
            for name, sub in schema["properties"].items()
        }
    if "items" in schema:
        result["items"] = _inlined(compiler, schema["items"], f"{pointer}/items")
    if "oneOf" in schema:
        result["oneOf"] = [
            _inlined(compiler, sub, f"{pointer}/oneOf/{i}") for i, sub in enumerate(schema["oneOf"])
        ]
    return result


def _fractional(number: float) -> bool:
    return not float(number).is_integer()


def _numbers(kind: str, low: float | None, high: float | None) -> SearchStrategy:
    """The bounds themselves, integers in range and any float in range (subnormals included)."""
    integers = st.integers(
        None if low is None else math.ceil(low), None if high is None else math.floor(high)
    )
    if kind == "integer":
        bounds = [int(b) for b in (low, high) if b is not None]
        return st.one_of(st.sampled_from(bounds), integers) if bounds else integers
    bounds = [float(b) for b in (low, high) if b is not None]
    floats = st.floats(low, high, allow_nan=False, allow_infinity=False)
    options = [floats, integers]
    return st.one_of(st.sampled_from(bounds), *options) if bounds else st.one_of(options)


def _range_breaks(schema: Mapping[str, Any], kind: str, rule) -> list[Break]:
    """Just past each bound first (the first value outside), then anything further out."""
    found = []
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None:
        edge = math.ceil(low) - 1 if kind == "integer" else math.nextafter(low, -math.inf)
        outside = st.integers(max_value=math.ceil(low) - 1)
        if kind != "integer":
            floats = st.floats(
                max_value=low, exclude_max=True, allow_nan=False, allow_infinity=False
            )
            outside = st.one_of(floats, outside)
        further = math.floor(low) - 1
        found.append(Break(rule("minimum"), st.one_of(st.just(edge), outside), edge, (further,)))
    if high is not None:
        edge = math.floor(high) + 1 if kind == "integer" else math.nextafter(high, math.inf)
        outside = st.integers(min_value=math.floor(high) + 1)
        if kind != "integer":
            floats = st.floats(
                min_value=high, exclude_min=True, allow_nan=False, allow_infinity=False
            )
            outside = st.one_of(floats, outside)
        further = math.ceil(high) + 1
        found.append(Break(rule("maximum"), st.one_of(st.just(edge), outside), edge, (further,)))
    return found


def _unique(values) -> list[Any]:
    seen, unique = set(), []
    for value in values:
        key = json.dumps(value, sort_keys=True)
        if key not in seen:
            seen.add(key)
            unique.append(value)
    return unique


_SIMPLEST_JSON = {
    "null": None,
    "boolean": False,
    "integer": 0,
    "number": 0.5,
    "string": "",
    "array": [],
    "object": {},
}


def _simplest_json(exclude: set[str] | frozenset[str] = frozenset()) -> list[Any]:
    """The simplest value of every JSON type not excluded, simplest first."""
    return [value for kind, value in _SIMPLEST_JSON.items() if kind not in exclude]


def _json_values(exclude: set[str] | frozenset[str] = frozenset()) -> SearchStrategy:
    """Small JSON values of every type not excluded (``number`` excludes floats only)."""
    leaves = {
        "null": st.none(),
        "boolean": st.booleans(),
        "integer": st.integers(-(2**63), 2**63),
        "number": st.floats(allow_nan=False, allow_infinity=False).filter(_fractional),
        "string": texts(max_size=40),
        "array": st.lists(
            st.one_of(st.none(), st.integers(), st.text(ANY_CHARACTER, max_size=5)), max_size=3
        ),
        "object": st.dictionaries(st.text(ANY_CHARACTER, max_size=5), st.integers(), max_size=2),
    }
    return st.one_of([strategy for kind, strategy in leaves.items() if kind not in exclude])


def _near_misses(allowed: Sequence[Any]) -> list[Any]:
    """Values just outside an enumeration: case and spacing variants of its strings, then null."""
    variants = [
        variant
        for value in allowed
        if isinstance(value, str)
        for variant in (value.upper(), value.capitalize(), f" {value}", f"{value}s", "")
    ]
    return [v for v in _unique([*variants, None]) if v not in allowed or _is_bool(v)]


def _other_than(allowed: Sequence[Any], near: Sequence[Any]) -> SearchStrategy:
    """Near misses first, then anything else."""
    candidates = st.one_of(st.sampled_from(near), texts(max_size=20), _json_values())
    return candidates.filter(lambda candidate: candidate not in allowed or _is_bool(candidate))


def _is_bool(value: Any) -> bool:  # True == 1 in Python, not in JSON
    return isinstance(value, bool)


# ------------------------------------------------------------------------- chat requests
# What is judged, and at which level. The documentation is the contract, but what OpenAI's own
# API accepts within its published schema is legal by definition (schemas.openai_accepts):
#   valid (GEN-001, MUST)         the request schema accepts it and so does OpenAI's schema;
#   explicit nulls (GEN-005)      as valid, with optional parameters sent as null ("not set"),
#                                 which OpenAI's schema allows: a SHOULD, never a MUST;
#   one rule away (GEN-002, MUST) breaks one documented rule, and OpenAI's schema refuses it too;
#   a convention (GEN-003)        breaks one x-convention rule, and OpenAI's schema refuses it.
# A request that breaks a rule but that OpenAI's schema accepts (an assistant message without
# content, an empty model name, max_tokens 0, stop null) is never drawn as invalid: serving it
# and refusing it are both legal.

# small models have 2048 tokens of context, some less
DEFAULT_MAX_PROMPT_TOKENS = DEFAULTS["gen_max_prompt_tokens"]
MESSAGE_OVERHEAD_TOKENS = 8  # a chat template's role markers around each message


@dataclass(frozen=True)
class RequestHints:
    """What the schema cannot know about one run: the models and the cost and size bounds."""

    models: tuple[str, ...]
    max_tokens: int | None = DEFAULT_MAX_TOKENS  # None: as the schema allows (maybe absent)
    max_prompt_tokens: int | None = DEFAULT_MAX_PROMPT_TOKENS  # None: no bound


def prompt_tokens_bound(body: Any) -> int:
    """An upper bound of a request's prompt in tokens, whatever the tokenizer: every common
    tokenizer (byte-level BPE, SentencePiece with byte fallback) spends at most one token per
    UTF-8 byte, plus a chat template's markers around each message."""
    messages = body.get("messages") if isinstance(body, dict) else None
    if not isinstance(messages, list):
        return 0
    total = 0
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        text = content if isinstance(content, str) else json.dumps(content)
        total += len(text.encode("utf-8", "surrogatepass")) + MESSAGE_OVERHEAD_TOKENS
    return total


@cache
def request_strategies(hints: RequestHints) -> SchemaStrategies:
    root = schemas.load_schema(schemas.REQUEST)
    overrides: dict[str, tuple[Any, ...]] = {"/properties/model": hints.models}
    # OpenAI's schema wants at least one stop sequence in an array: [] is not drawn as valid.
    narrowing: dict[str, dict[str, Any]] = {"/properties/stop/oneOf/1": {"minItems": 1}}
    if hints.max_tokens is not None:
        current = root["properties"]["max_tokens"].get("maximum", math.inf)
        narrowing["/properties/max_tokens"] = {"maximum": min(current, hints.max_tokens)}
        narrowing[""] = {"required": [*root.get("required", ()), "max_tokens"]}
    return SchemaStrategies(root, overrides, narrowing)


def _fits(hints: RequestHints, body: Any) -> bool:
    """Valid for both schemas and within the prompt bound."""
    bound = hints.max_prompt_tokens
    within = bound is None or prompt_tokens_bound(body) <= bound
    return within and schemas.openai_accepts(body)


def valid_requests(hints: RequestHints) -> SearchStrategy[dict[str, Any]]:
    """Request bodies the request schema and OpenAI's schema both accept (GEN-001)."""
    return request_strategies(hints).valid().filter(lambda body: _fits(hints, body))


def valid_edges(hints: RequestHints) -> list[dict[str, Any]]:
    """The valid requests on the schema's edges, the simplest first."""
    return [body for body in request_strategies(hints).edges() if _fits(hints, body)]


@cache
def nullable_parameters(hints: RequestHints) -> tuple[str, ...]:
    """Optional parameters that OpenAI's schema lets a client send as null, meaning "not set".
    ``max_tokens`` is left out while the run bounds it: unset, it would cost an unbounded reply
    (and some OpenAI models refuse ``max_tokens: null``)."""
    root = schemas.load_schema(schemas.REQUEST)
    simplest = _simplest_request(hints)
    required = set(request_strategies(hints).narrowing.get("", {}).get("required", ()))
    required |= set(root.get("required", ()))
    return tuple(
        name
        for name in root["properties"]
        if name not in required and schemas.openai_accepts({**simplest, name: None})
    )


def _simplest_request(hints: RequestHints) -> dict[str, Any]:
    """The schema's simplest valid request (one empty system message), whatever the bounds."""
    return request_strategies(hints).edges()[0]


def _with_nulls(body: dict[str, Any], names: Sequence[str]) -> dict[str, Any]:
    return {**body, **dict.fromkeys(names)}


NULLS_BASE_MESSAGES = ({"role": "user", "content": "Hello"},)


@cache
def null_variants(hints: RequestHints) -> tuple[dict[str, Any], ...]:
    """An ordinary request with each non-empty set of nullable parameters null, plain and
    streamed, the single nulls first. Only the nulls vary: GEN-005 is about null, and any other
    difference would report another requirement's bug under it (GEN-001 covers the rest)."""
    base = {**_simplest_request(hints), "messages": list(NULLS_BASE_MESSAGES)}
    names = nullable_parameters(hints)
    subsets = [
        [name for bit, name in enumerate(names) if mask >> bit & 1]
        for mask in range(1, 2 ** len(names))
    ]
    subsets.sort(key=len)
    variants = [_with_nulls(base, subset) for subset in subsets]
    streamed = {**base, "stream": True}
    variants += [_with_nulls(streamed, s) for s in subsets if "stream" not in s]
    return tuple(variants)


def null_requests(hints: RequestHints) -> SearchStrategy[dict[str, Any]]:
    """Requests with one or more optional parameters sent as an explicit null (GEN-005)."""
    return st.sampled_from(null_variants(hints))


def null_edges(hints: RequestHints) -> list[dict[str, Any]]:
    """Each nullable parameter null alone, then all of them at once."""
    names = nullable_parameters(hints)
    plain = null_variants(hints)[: 2 ** len(names) - 1]  # the variants that are not streamed
    return [*plain[: len(names)], plain[-1]]


@dataclass(frozen=True)
class UnjudgedRule:
    """A rule of the request schema whose breaks are never judged, and why."""

    rule: Rule
    reason: str


def _refused_by_openai(bad: Any) -> bool:
    return not schemas.openai_accepts(bad)


def _judged(found: Break) -> Break | None:
    """The break with only the values OpenAI's schema refuses, and the simplest of those;
    None when OpenAI's schema accepts every simple value that breaks the rule."""
    refused = [candidate for candidate in found.candidates if _refused_by_openai(candidate)]
    if not refused:
        return None
    values = found.values.filter(_refused_by_openai)
    return Break(found.rule, values, refused[0], tuple(refused[1:]))


@cache
def _classified(hints: RequestHints) -> tuple[tuple[Break, ...], tuple[UnjudgedRule, ...]]:
    judged, unjudged = [], []
    for found in request_strategies(hints).breaks():
        kept = _judged(found)
        if kept is None:
            reason = "OpenAI's published schema accepts every request that breaks it"
            unjudged.append(UnjudgedRule(found.rule, reason))
        else:
            judged.append(kept)
    return tuple(judged), tuple(unjudged)


def rule_breaks(hints: RequestHints) -> tuple[Break, ...]:
    """Every judged rule of the request schema, with request bodies that break it alone and
    that OpenAI's schema refuses too."""
    return _classified(hints)[0]


def unjudged_rules(hints: RequestHints) -> tuple[UnjudgedRule, ...]:
    """Rules of the request schema whose breaks OpenAI's schema always accepts: not judged."""
    return _classified(hints)[1]


def _selected(hints: RequestHints, convention: bool | None) -> list[Break]:
    breaks = rule_breaks(hints)
    return [b for b in breaks if convention is None or b.rule.convention == convention]


def invalid_requests(
    hints: RequestHints, convention: bool | None = None
) -> SearchStrategy[OneRuleAway]:
    """Request bodies one rule away from valid, each with the rule it breaks, every rule drawn
    equally often; only conventional rules (``convention=True``) or only documented ones."""
    return st.one_of(
        [
            b.values.map(lambda body, rule=b.rule: OneRuleAway(body, rule))
            for b in _selected(hints, convention)
        ]
    )


def invalid_edges(hints: RequestHints, convention: bool | None = None) -> list[OneRuleAway]:
    """For every rule, the simplest request that breaks it (and nothing else)."""
    return [OneRuleAway(b.simplest, b.rule) for b in _selected(hints, convention)]
