"""Fixtures of the conformance suite: the target, the models, and one fixture per probe.

A test names the probes it needs as arguments (``def test_x(completion, stream)``). Once the
tests are collected, every (probe, model) pair the run needs is known, so they are all sent at
once, ``--chat-concurrency`` at a time; each test then only reads its recorded exchanges.
Without ``--base-url`` the suite starts the embedded reference server and tests that.
"""

from __future__ import annotations

import contextlib
import functools
import secrets
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conformance import options
from conformance.exchange import Exchange, ExchangeRunner, Target
from conformance.latency_samples import send_samples
from conformance.plugin import run_info_key
from conformance.probes import PROBES, SERVED_PROBES
from conformance.progress import observer_of
from conformance.report import request_log
from conformance.report.latency import latency_section
from conformance.settings import Settings, settings_from_pytest

if TYPE_CHECKING:  # Hypothesis is imported only by runs that generate requests
    from conformance.generated.engine import Generation

_plan_key = pytest.StashKey[set]()  # (probe, model) pairs the collected tests need
_generated_key = pytest.StashKey[set]()  # (GEN requirement, model) pairs collected


class RunContext:
    """The live side of a run: the runner, and the futures of the planned exchanges."""

    def __init__(self, runner: ExchangeRunner, models: tuple[str, ...]) -> None:
        self.runner = runner
        self.models = models
        self._futures: dict[tuple[str, str], Future[Exchange]] = {}
        self.generation: Generation | None = None  # set when GEN tests are collected
        self._gates: dict[str, Future[bool]] = {}

    def prefetch(self, plan: set[tuple[str, str]]) -> None:
        for probe, model in sorted(plan):  # a stable order keeps runs comparable
            self._submit(probe, model)

    def _submit(self, probe: str, model: str) -> Future[Exchange]:
        key = (probe, model)
        if key not in self._futures:
            spec = PROBES[probe]
            if spec.after is not None and spec.derive is not None:
                prior = self._submit(spec.after, model)
                derive = functools.partial(spec.derive, model)
                self._futures[key] = self.runner.submit_after(probe, prior, derive, model)
            else:
                self._futures[key] = self.runner.submit(probe, spec.build(model))
        return self._futures[key]

    def exchange(self, probe: str, model: str) -> Exchange:
        return self._submit(probe, model).result()

    def plan_generated(self, generation: Generation, planned: set[tuple[str, str]]) -> None:
        """Draw and send every collected GEN property's examples now, behind the fixed probes
        and while they are in flight. Held examples (streams) go last, each behind its model's
        gate (``_streams_gate``). A property that cannot be planned raises its error in its
        own test."""
        from conformance.generated.properties import plan_ahead

        self.generation = generation
        for requirement, model in sorted(planned):
            gate = functools.partial(self._streams_gate, model)
            plan_ahead(generation, requirement, model, gate)
        generation.send_held()

    def _streams_gate(self, model: str) -> Future[bool]:
        """Opens when the model's fixed probes show that its streams end (``streams_end``)."""
        from conformance.generated.properties import streams_end

        if model not in self._gates:
            futures = [self._submit(probe, model) for probe in SERVED_PROBES]
            self._gates[model] = self.runner.when_done(futures, streams_end)
        return self._gates[model]

    def throttled(self) -> list[str]:
        """Probes the target kept answering with 429/503 after every retry."""
        return sorted(
            f"{probe} ({model})"
            for (probe, model), future in self._futures.items()
            if future.done()
            and not future.cancelled()
            and future.exception() is None
            and future.result().throttled
        )


def pytest_configure(config: pytest.Config) -> None:
    from conformance.options import OPTIONS, BadVariable, environment_value

    for option in OPTIONS:  # a variable its flag would refuse stops the run before it starts
        try:
            environment_value(option)
        except BadVariable as error:
            raise pytest.UsageError(f"chat-conformance: {error}") from None
    settings = settings_from_pytest(config)
    if not settings.models:
        raise pytest.UsageError(
            "name the model(s) to test with --chat-model (or CHAT_CONFORMANCE_MODEL) "
            "when --base-url points at a real target"
        )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "model" in metafunc.fixturenames:
        models = settings_from_pytest(metafunc.config).models
        metafunc.parametrize("model", models, scope="session")


def pytest_collection_finish(session: pytest.Session) -> None:
    plan, generated = set(), set()
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        model = callspec.params.get("model") if callspec else None
        if model is None:
            continue
        plan |= {(name, model) for name in item.fixturenames if name in PROBES}
        registered_check = callspec.params.get("registered_check")
        if registered_check is not None:  # a test built from the registry (by_requirement.py)
            plan |= {(name, model) for name in registered_check.probes}
        marker = item.get_closest_marker("requirement")
        if marker and marker.args and str(marker.args[0]).startswith("GEN-"):
            generated.add((marker.args[0], model))
    session.config.stash[_plan_key] = plan
    session.config.stash[_generated_key] = generated


@pytest.fixture(scope="session")
def settings(pytestconfig: pytest.Config) -> Settings:
    return settings_from_pytest(pytestconfig)


@pytest.fixture(scope="session")
def target(settings: Settings) -> Iterator[Target]:
    if settings.base_url is not None:
        verify = settings.ca_bundle or True
        yield Target(
            settings.base_url,
            settings.api_key,
            settings.limits,
            verify,
            settings.auth_header,
            settings.headers,
        )
        return
    from conformance.reference.config import ServerConfig
    from conformance.reference.runner import running_server

    api_key = "sk-embedded-" + secrets.token_hex(12)
    config = ServerConfig(
        api_key=api_key,
        faults=settings.reference_faults,
        variations=settings.reference_variations,
        auth_header=settings.auth_header,  # the key where the run sends it
    )
    with running_server(config) as server:
        yield Target(
            server.base_url, api_key, settings.limits, True, settings.auth_header, settings.headers
        )


@pytest.fixture(scope="session")
def run_context(
    pytestconfig: pytest.Config, settings: Settings, target: Target
) -> Iterator[RunContext]:
    from conformance.clients.session import replaying

    observer = replaying(pytestconfig, observer_of(pytestconfig))  # the openai SDK hears too
    runner = ExchangeRunner(target, settings.concurrency, observer)
    context = RunContext(runner, settings.models)
    info = pytestconfig.stash[run_info_key]
    info["base_url"] = target.display_url
    with contextlib.ExitStack() as cleanup:
        try:
            if not settings.embedded:
                _preflight(pytestconfig, runner, settings)  # may end the run: nothing else is sent
            context.prefetch(pytestconfig.stash.get(_plan_key, set()))
            generated = pytestconfig.stash.get(_generated_key, set())
            if generated:
                generation = _generation(pytestconfig, settings, target, runner, cleanup)
                context.plan_generated(generation, generated)
            yield context
            samples = options.pytest_value(pytestconfig, "latency_samples")
            if samples and not context.throttled():  # after every test, one at a time
                send_samples(runner, settings.models, samples)
        finally:
            runner.close()
            before = info.pop("sent_before", [])
            info["requests_sent"] = runner.sent + len(before)
            info["exchanges"] = [*before, *runner.completed()]  # replayed to clients at the end
            info["throttled"] = [*info.get("throttled", []), *context.throttled()]
            info["latency"] = latency_section(
                [*before, *runner.completed()], settings.models, settings.concurrency
            )
            if context.generation is not None:
                info["generation"] = context.generation.summary()
            if settings.request_log:
                request_log.write(settings.request_log, [*before, *runner.completed()])


def _preflight(config: pytest.Config, runner: ExchangeRunner, settings: Settings) -> None:
    """One minimal request before the budget is spent (``conformance/preflight.py``), or the
    one the CLI already sent (it ends a setup failure in one line, before pytest starts). A
    setup failure ends the session with no verdict; a target that does not answer in time fails
    AUTH-003 (the plugin records it) and every test is skipped, as nothing else was sent."""
    from conformance import preflight
    from conformance.plugin import NO_VERDICT

    info = config.stash[run_info_key]
    handed = [p.preflight for p in config.pluginmanager.get_plugins() if hasattr(p, "preflight")]
    if handed and handed[0] is not None:
        exchange, verdict = handed[0]
        info["sent_before"] = [exchange]  # counted and logged with the run's requests
    else:
        exchange, verdict = preflight.run(
            runner,
            model=settings.models[0],
            key_given=settings.api_key is not None,
            key_source=settings.key_source,
            limits=settings.limits,
        )
    if verdict.outcome == "ready":
        return
    info["preflight"] = {"outcome": verdict.outcome, "message": verdict.message}
    if verdict.outcome == "throttled":  # no verdict, as for any probe (the plugin says so)
        info["throttled"] = [f"{preflight.NAME} ({settings.models[0]})"]
        pytest.skip(f"throttled, not a conformance verdict: {verdict.message}")
    if verdict.outcome == "unanswered":
        info["preflight_exchange"] = exchange
        pytest.skip(f"not sent: the target did not answer the {preflight.NAME} in time")
    pytest.exit(f"chat-conformance: {verdict.message}", returncode=NO_VERDICT)


def _generation(
    config: pytest.Config,
    settings: Settings,
    target: Target,
    runner: ExchangeRunner,
    cleanup: contextlib.ExitStack,
) -> Generation:
    from conformance.generated.engine import Generation, configure_storage
    from conformance.profiles import generation_from_pytest

    options = generation_from_pytest(config)
    scratch = options.hypothesis_dir
    if scratch is None:  # no database: Hypothesis's caches still need a home, not the cwd
        scratch = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="chat-conf-")))
    configure_storage(scratch)
    switches = ",".join(settings.reference_faults + settings.reference_variations)
    namespace = f"embedded {switches}" if settings.embedded else target.display_url
    return Generation(runner, options, namespace)


def _probe_fixture(name: str):
    @pytest.fixture(name=name)
    def fixture(run_context: RunContext, model: str) -> Exchange:
        return run_context.exchange(name, model)

    fixture.__doc__ = f"The recorded exchange of probe {name!r}: {PROBES[name].purpose}."
    return fixture


for _name in PROBES:
    globals()[f"probe_{_name}"] = _probe_fixture(_name)
