"""The engine of generated requests: draw them with Hypothesis, send them through the
ExchangeRunner within the request budget, judge them with the property's judge, shrink a failure
to a minimal request. What each GEN property draws and judges is ``properties``; how a failure is
shown is ``conformance.report.reproduction``.

How one property runs (``Generation.check``):

1. Draw the examples without sending anything: the explicit ones first (the schema's edges, or
   the simplest break of every rule), then the profile's number of random ones, from the run's
   seed. Failures saved in the example database by an earlier run come first.
2. Send every example concurrently through the runner, as far as the request budget allows.
   Each exchange is kept, keyed by its body.
3. Judge each exchange with the pure checks. If none fails, the property holds: nothing more is
   sent. This is the common case, and it costs one request per example.
4. If one fails, Hypothesis runs the property again with the same seed. It replays the examples
   from step 2 without sending them again, reaches the failure, and shrinks it: each smaller
   candidate is sent (the only requests a failing property adds). Shrinking stops when the
   request budget runs out. The smallest failing request is reported with the response that
   broke the rule.

The database keeps failing examples so that the next run tries them first, whatever its seed.
It lives where ``GenerationSettings.hypothesis_dir`` says, never in the current directory, and
one target's failures are kept apart from another's.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, example, given, seed, settings
from hypothesis.database import (
    DirectoryBasedExampleDatabase,
    ExampleDatabase,
    ReadOnlyDatabase,
)
from hypothesis.errors import Flaky
from hypothesis.strategies import SearchStrategy

from conformance.checks import Violation
from conformance.exchange import ExchangeRunner
from conformance.profiles import GenerationSettings
from conformance.records import Exchange, RequestSpec
from conformance.report.curl import curl_command
from conformance.report.reproduction import response_excerpt
from conformance.report.shape import GenerationSummary, PropertySummary

Judge = Callable[[Any, Exchange], "list[Violation] | None"]  # None: the exchange says nothing

DRAW_PHASES = (Phase.explicit, Phase.reuse, Phase.generate)
SHRINK_PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink)


def _ignore_local_constants() -> None:
    """Same seed, same requests. Hypothesis mixes string and number constants found in "local"
    modules (not installed in site-packages) into what it draws, read from whichever modules are
    imported at that moment: the requests would then depend on an editable install and on import
    order. Hypothesis has no setting for it, so its collector is replaced by an empty one."""
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - a Hypothesis without the feature
        return
    if hasattr(providers, "Constants") and callable(getattr(providers, "_get_local_constants", 0)):
        empty = providers.Constants()
        providers._get_local_constants = lambda: empty


_ignore_local_constants()


def configure_storage(directory: Path | None) -> None:
    """Hypothesis keeps caches and its example database under one home directory, by default
    ``.hypothesis`` in the current directory. Ours is explicit, unless the user chose one."""
    from hypothesis.configuration import set_hypothesis_home_dir

    if directory is not None and not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        set_hypothesis_home_dir(directory)


class _Namespaced(ExampleDatabase):
    """One directory shared by every target, model and property, each under its own keys."""

    def __init__(self, inner: ExampleDatabase, namespace: str) -> None:
        super().__init__()
        self.inner = inner
        self.prefix = namespace.encode("utf-8") + b"\0"

    def save(self, key: bytes, value: bytes) -> None:
        self.inner.save(self.prefix + key, value)

    def fetch(self, key: bytes) -> Iterable[bytes]:
        return self.inner.fetch(self.prefix + key)

    def delete(self, key: bytes, value: bytes) -> None:
        self.inner.delete(self.prefix + key, value)

    def move(self, src: bytes, dest: bytes, value: bytes) -> None:
        self.inner.move(self.prefix + src, self.prefix + dest, value)


class RequestBudget:
    """The hard cap on generated requests in one run. A request held back by a gate gives its
    place back from the exchange thread, hence the lock."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.sent = 0
        self.refused = 0  # requests the budget did not allow
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self.sent >= self.limit:
                self.refused += 1
                return False
            self.sent += 1
            return True

    def give_back(self) -> None:
        with self._lock:
            self.sent -= 1


@dataclass
class Finding:
    """A request that broke the property, the response it got, and what it broke."""

    example: Any
    exchange: Exchange
    violations: list[Violation]
    minimal: bool  # shrunk (or an explicit example, minimal by construction)


@dataclass
class PropertyResult:
    name: str
    examples: int = 0  # drawn
    answered: int = 0  # of them, answered (cached or sent now)
    judged: int = 0  # of them, judged (the others said nothing about the property)
    finding: Finding | None = None
    notes: list[str] = field(default_factory=list)

    def summary(self) -> PropertySummary:
        summary: PropertySummary = {
            "property": self.name,
            "examples": self.examples,
            "answered": self.answered,
            "judged": self.judged,
            "failed": self.finding is not None,
        }
        if self.finding is not None:
            summary["minimal"] = self.finding.minimal
            summary["request"] = curl_command(self.finding.exchange)
            summary["response"] = response_excerpt(self.finding.exchange)
        summary["notes"] = self.notes
        return summary


class _BudgetSpent(BaseException):
    """Raised through Hypothesis (which lets BaseException pass) to stop shrinking at once."""


class _Falsified(Exception):
    def __init__(self, value: Any, exchange: Exchange, violations: list[Violation]) -> None:
        super().__init__(f"{len(violations)} violation(s)")
        self.value, self.exchange, self.violations = value, exchange, violations


@dataclass(frozen=True)
class Property:
    """One generated property: what to draw, how many, how an example becomes a request body,
    and which bodies wait for a gate (streams, while the fixed probes may show they never end)."""

    name: str
    strategy: SearchStrategy[Any]
    explicit: Sequence[Any]
    examples: int
    body_of: Callable[[Any], Any] = lambda value: value
    held: Callable[[Any], bool] | None = None  # None: nothing waits


@dataclass
class _Plan:
    prop: Property
    drawn: list[Any]
    gate: Future[bool] | None
    exchanges: list[Future[Exchange | None] | None]  # None: not sent (budget, or held for now)
    held_sent: bool = False


def _waits(prop: Property, body: Any, gate: Future[bool] | None) -> bool:
    """Whether this body is sent only once ``gate`` opens."""
    return gate is not None and prop.held is not None and prop.held(body)


class Generation:
    """The generated half of one run: its seed, budget, database and every exchange so far.

    ``plan`` draws a property's examples and sends them at once, without waiting for anything;
    ``check`` waits for their answers, judges them and shrinks a failure. The suite plans every
    property when the run starts, so drawing and sending overlap the fixed probes' exchanges.
    """

    def __init__(self, runner: ExchangeRunner, options: GenerationSettings, namespace: str):
        self.runner = runner
        self.options = options
        self.namespace = namespace
        self.budget = RequestBudget(options.max_requests)
        self.results: list[PropertyResult] = []
        self._plans: dict[str, _Plan] = {}
        self._failed: dict[str, Exception] = {}  # planning errors, for the property's test
        self._exchanges: dict[str, Future[Exchange | None]] = {}  # by body; None: held back
        self._numbers = iter(range(1, 1 << 62))
        self._database: ExampleDatabase | None = None
        if options.hypothesis_dir is not None:
            self._database = DirectoryBasedExampleDatabase(options.hypothesis_dir / "examples")

    # --------------------------------------------------------------------------- the run

    def plan(self, prop: Property, gate: Future[bool] | None = None) -> None:
        """Steps 1 and 2: draw the examples and send them, except those ``prop.held`` marks:
        they wait for ``send_held``, then for ``gate`` (and are not sent if it says False)."""
        if prop.name in self._plans:
            return
        drawn: list[Any] = []
        database = _read_only(self._database_for(prop.name))
        self._test(prop, drawn.append, DRAW_PHASES, database)()
        plan = _Plan(prop, drawn, gate, [None] * len(drawn))
        for index, value in enumerate(drawn):
            if not _waits(prop, prop.body_of(value), gate):
                plan.exchanges[index] = self._submit(prop, value, gate)
        self._plans[prop.name] = plan

    def plan_ahead(self, prop: Property, gate: Future[bool] | None) -> None:
        """``plan`` for a test that runs later: an error is kept for that test to raise."""
        try:
            self.plan(prop, gate)
        except Exception as error:  # reported by the property's own test
            self._failed[prop.name] = error

    def send_held(self) -> None:
        """Send (behind their gates) the held examples of every plan so far: after every
        property's other examples, so that the budget goes first to requests sure to be sent."""
        for plan in self._plans.values():
            if plan.held_sent:
                continue
            plan.held_sent = True
            for index, value in enumerate(plan.drawn):
                if _waits(plan.prop, plan.prop.body_of(value), plan.gate):
                    plan.exchanges[index] = self._submit(plan.prop, value, plan.gate)

    def check(
        self, prop: Property, judge: Judge, gate: Future[bool] | None = None
    ) -> PropertyResult:
        """Steps 3 and 4 (and 1 and 2 first, unless ``plan`` ran)."""
        if prop.name in self._failed:
            raise self._failed.pop(prop.name)
        self.plan(prop, gate)
        self.send_held()
        plan = self._plans[prop.name]
        result = PropertyResult(prop.name, examples=len(plan.drawn))
        self.results.append(result)
        first: Finding | None = None
        unsent = held = throttled = 0
        for value, future in zip(plan.drawn, plan.exchanges, strict=True):
            if future is None:
                unsent += 1
                continue
            exchange = future.result()
            if exchange is None:
                held += 1
                continue
            if exchange.throttled:
                throttled += 1
                continue
            result.answered += 1
            violations = judge(value, exchange)
            if violations is None:
                continue
            result.judged += 1
            if violations and first is None:
                first = Finding(value, exchange, violations, minimal=False)
        drawn = len(plan.drawn)
        if unsent:
            result.notes.append(f"{unsent} of {drawn} examples not sent: request budget reached")
        if held:
            result.notes.append(
                f"{held} of {drawn} examples not sent: streamed requests are left out because "
                "the fixed probes' streams do not end (STREAM-007)"
            )
        if throttled:
            result.notes.append(f"{throttled} of {drawn} examples throttled (429/503)")
        if first is not None:
            result.finding = self._shrink(prop, plan.gate, judge, result.notes)
            if result.finding is None:
                result.finding = first
                result.notes.append("the failure did not recur when replayed, so it is unshrunk")
        return result

    def _test(
        self,
        prop: Property,
        on_example: Callable[[Any], None],
        phases: tuple[Phase, ...],
        database: ExampleDatabase | None,
    ) -> Callable[[], None]:
        # One function for every phase and property, so Hypothesis gives all of them the same
        # database key; _Namespaced keeps their examples apart.
        def generated_request(value: Any) -> None:
            on_example(value)

        test = given(prop.strategy)(generated_request)
        for value in reversed(prop.explicit):  # applied last runs first: keep the given order
            test = example(value)(test)
        test = seed(self.options.seed)(test)
        return settings(
            max_examples=max(1, prop.examples),
            phases=phases,
            database=database,
            deadline=None,  # a slow network is not a failure of the target
            derandomize=False,
            report_multiple_bugs=False,
            print_blob=False,
            verbosity=Verbosity.quiet,
            suppress_health_check=list(HealthCheck),  # the self-tests keep them on
        )(test)

    def _shrink(
        self, prop: Property, gate: Future[bool] | None, judge: Judge, notes: list[str]
    ) -> Finding | None:
        smallest: list[_Falsified] = []  # Hypothesis only ever moves to smaller failures

        def falsify(value: Any) -> None:
            future = self._submit(prop, value, gate)
            if future is None:
                raise _BudgetSpent
            exchange = future.result()
            if exchange is None or exchange.throttled:
                return  # held back or throttled: no verdict, cannot fail
            violations = judge(value, exchange)
            if violations:
                smallest[:] = [_Falsified(value, exchange, violations)]
                raise smallest[0]

        test = self._test(prop, falsify, SHRINK_PHASES, self._database_for(prop.name))
        try:
            test()
        except _Falsified as falsified:
            return Finding(falsified.value, falsified.exchange, falsified.violations, True)
        except _BudgetSpent:
            if not smallest:
                return None
            notes.append("shrinking stopped when the request budget was reached")
            found = smallest[0]
            return Finding(found.value, found.exchange, found.violations, minimal=False)
        except (BaseExceptionGroup, Flaky) as group:
            falsified = _first_falsified(group)
            if falsified is not None:
                return Finding(falsified.value, falsified.exchange, falsified.violations, False)
            raise
        return None

    # ----------------------------------------------------------------------- exchanges

    def _database_for(self, name: str) -> ExampleDatabase | None:
        if self._database is None:
            return None
        return _Namespaced(self._database, f"{self.namespace}\0{name}")

    def _submit(
        self, prop: Property, value: Any, gate: Future[bool] | None
    ) -> Future[Exchange | None] | None:
        """The exchange of this example's body: sent once per run whichever property drew it,
        behind ``gate`` if the property holds it (None: the budget did not allow it)."""
        body = prop.body_of(value)
        key = body_key(body)
        if key not in self._exchanges:
            if not self.budget.take():
                return None
            name, spec = f"generated #{next(self._numbers)}", RequestSpec(body)
            if _waits(prop, body, gate):
                future = self.runner.submit_when(name, spec, gate, self.budget.give_back)
            else:
                future = self.runner.submit(name, spec)
            self._exchanges[key] = future
        return self._exchanges[key]

    def summary(self) -> GenerationSummary:
        """What the JSON report and the terminal show about the generated half of the run."""
        options = self.options
        return {
            "profile": options.profile.name,
            "seed": options.seed,
            "max_requests": options.max_requests,
            "requests_sent": self.budget.sent,
            "budget_reached": self.budget.refused > 0,
            "max_tokens": options.max_tokens,
            "example_database": str(options.hypothesis_dir / "examples")
            if options.hypothesis_dir
            else None,
            "properties": [result.summary() for result in self.results],
        }


def _read_only(database: ExampleDatabase | None) -> ExampleDatabase | None:
    return ReadOnlyDatabase(database) if database is not None else None


def body_key(body: Any) -> str:
    """One key per request body, whichever property drew it."""
    return json.dumps(body, sort_keys=True, ensure_ascii=False)


def _first_falsified(error: BaseException) -> _Falsified | None:
    if isinstance(error, _Falsified):
        return error
    for inner in getattr(error, "exceptions", ()):
        found = _first_falsified(inner)
        if found is not None:
            return found
    return None
