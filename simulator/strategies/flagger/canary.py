"""A Flagger ``Canary``, run as a sans-I/O strategy from a :class:`FlaggerPlan`.

Flagger's controller wakes every analysis ``interval`` and takes one step;
so does this strategy, from the start of the rollout (the new revision is
seen at t = 0). The rules of one check, in the order Flagger's scheduler
(``pkg/controller/scheduler.go``) takes them, read top to bottom::

    INITIALIZED, WAITING   the primary not ready                      -> wait for the next check
                           a confirm-rollout gate holds               -> WAITING (nothing counted)
                           else: the canary scaled up to the primary's size -> PROGRESSING
    every later phase      the primary not ready (below primaryReadyThreshold) -> wait
                           before the copy, the canary not ready (below canaryReadyThreshold): wait, and
                             once it has been so for longer than progressDeadlineSeconds -> roll back
                           skipAnalysis                               -> promoted, SUCCEEDED
                           PROGRESSING, WAITING_PROMOTION: a rollback webhook passes -> roll back
                           PROMOTING   traffic back to the primary (at once, or by stepWeightPromotion
                                       each check)                     -> FINALISING once all there
                           FINALISING  the canary scaled to zero      -> SUCCEEDED
                           PROGRESSING, WAITING_PROMOTION: failed checks >= threshold -> roll back
                           at 0 % with no iteration yet (and not mirroring): the pre-rollout webhooks;
                             one fails                                -> one more failed check, stop
                           otherwise the analysis: the rollout webhooks, then every metric in turn;
                             the first that fails                     -> one more failed check, stop
                           (a passing webhook with a hey command starts a load test, see below)
                           A/B testing (iterations and match): the matching users' route all to the
                             canary, one more iteration; after the last, confirm-promotion, then
                             the promotion                            -> PROMOTING
                           blue-green (iterations): one more iteration at 0 % (mirroring, with mirror);
                             after the last, confirm-promotion, then all traffic to the canary; at the
                             next passing check the promotion         -> PROMOTING
                           canary: unless mirroring or WAITING_PROMOTION, the confirm-traffic-increase
                             gates; then below the top weight: the weight up by the next step
                             (with mirror, first one check of mirroring at 0 %); at the top weight:
                             the confirm-promotion gates (holding      -> WAITING_PROMOTION), then
                                                                      -> PROMOTING

So a failed check is counted at the check that fails, and the rollback
comes at the next check, before any measurement; a passing check does not
reset the count (Flagger resets it only when a new revision restarts the
analysis). With ``iterations`` (A/B testing, blue-green), each call of a
confirm-promotion gate that holds sets the iterations back to one before
the last, as Flagger's status does: one more iteration comes before the
gate is called again. A metric whose query returns no value (an empty vector, or NaN),
fails to run, or returns a scalar fails the check, as in Flagger, whose
Prometheus client reads the last element of an instant vector and nothing
else.

**A/B testing** (``iterations`` with ``analysis.match``, Flagger's
``runAB``): requests that match the HTTP header or cookie rules go to the
canary, every other one to the primary. Simulated users carry no headers,
so the plan says what share of users match (``match_share``, from the
scenario's ``matchShare``); the router sends those users, each always the
same ones, to the canary (a sticky split by user) from the first iteration
until the promotion or the rollback. Flagger's status weight of the
matching route (100) is the ``weight`` of the events.

**Session affinity** (``sessionAffinity``, with ``stepWeight`` or
``stepWeights``, as Flagger's Istio router does it): a user the weights send
to the canary gets its cookie, and their requests go to the canary for the
cookie's ``maxAge`` seconds, while the canary's weight is above 0. With
``match`` Flagger's routes ignore it, and so does this.

**Load tests.** In the blue-green style the canary gets no user traffic
during its iterations unless it is mirrored. A ``rollout`` or
``pre-rollout`` webhook whose ``metadata.cmd`` is a ``hey`` command (a call
to flagger-loadtester) starts, when the call passes, a load test of the
Service its URL names (``<name>-canary``: the candidate;
``<name>-primary``: the primary), as the load tester runs it: in the
background, unless a run of the same command for the same Canary is still
going (then the call is skipped). Its requests load that version's pods and
show in its Prometheus series, but are no user's. A check calls the webhook
before it measures, so a run started at a check has sent nothing yet when
that check's metrics are queried. Without a load test or ``mirror`` the
candidate's metrics have no values and the checks fail, as they would on a
cluster without a load tester.

**The promotion.** Flagger copies the canary's spec to the primary, waits
for the primary's rolling update, routes all traffic back to the primary,
then scales the canary to zero. Here the candidate is the canary and the
stable version the primary's old pods, so at the copy the candidate (its
pods already at the primary's size and ready) takes all traffic and the
stable version is scaled to zero: the primary's own rolling update is
folded into the candidate's pods, whose capacity it equals. The run's
decision (promoted) is that moment; the phases that follow (routing back,
``stepWeightPromotion``, scaling the canary to zero) move no traffic
between versions, take their checks' time and are logged as Flagger's.

**A rollback** sends all traffic to the stable version, stops mirroring and
scales the candidate to zero, at once.

**Events** (each with the ``phase``, the canary's ``weight`` %, the
``failed_checks`` so far and the ``threshold``): ``phase`` for Flagger's own
event messages (new revision, waiting for approval, copying the spec,
routing to the primary, promotion completed, canary failed); ``step`` for a
weight advance, an iteration or the switch (``action``); ``check`` for each
metric measured (``metric``, ``source``, ``measured``: the value or
``None``, ``unit``, ``threshold_range``, ``verdict``, ``message``) and for a
failed webhook check; ``webhook`` when a webhook's answer changes
(``webhook``, ``type``, ``answer``: pass, fail or hold); ``paused`` when a
gate holds and the scenario never passes it.

Not modelled: a new revision during the analysis (the candidate never
changes), the primary's own progress deadline (a primary that is not ready
holds the analysis), alerts, notifications (``post-rollout``, ``event``
webhooks) and autoscalers.
"""

from __future__ import annotations

import math
from enum import Enum

from simulator.commands import (
    Command,
    Decide,
    Finish,
    LoadTest,
    Mirror,
    Note,
    ScaleTo,
    SessionAffinity,
    SetWeights,
    Wait,
)
from simulator.errors import StrategyError
from simulator.observations import Observation, QueryFailure
from simulator.strategies.flagger.plan import TOTAL_WEIGHT, FlaggerPlan, MetricCheck, Webhook, judge
from simulator.strategies.watch import PAUSE_SECONDS

__all__ = ["FlaggerCanaryStrategy", "Phase"]

_EPSILON = 1e-9  # seconds: a check "at" now may carry rounding from the driver's clock


class Phase(Enum):
    """Flagger's phases of a Canary, from the new revision on."""

    INITIALIZED = "initialized"
    WAITING = "waiting"
    PROGRESSING = "progressing"
    WAITING_PROMOTION = "waiting_promotion"
    PROMOTING = "promoting"
    FINALISING = "finalising"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


_ANALYSING = (Phase.PROGRESSING, Phase.WAITING_PROMOTION)
_DONE = (Phase.SUCCEEDED, Phase.FAILED)


class FlaggerCanaryStrategy:
    """Run a Canary's analysis as Flagger's scheduler would (see the module's rules)."""

    kind = "flagger_canary"

    def __init__(self, plan: FlaggerPlan) -> None:
        self.plan = plan
        self.services: dict[str, tuple[str, ...]] = {}
        """Kubernetes Services by role (``stable``, ``canary``), for the Prometheus series its metrics query."""
        self.workloads: dict[str, str] = {}
        """Deployments by role (Istio's ``destination_workload``): ``<target>-primary`` and ``<target>``."""
        self.namespace = plan.namespace
        """The namespace of the series (the Canary's)."""
        self.state = Phase.INITIALIZED
        self.outcome = ""
        self.failed_checks = 0
        self.canary_weight = 0
        self.primary_weight = TOTAL_WEIGHT
        self.mirrored = False  # Flagger's view of the routes: whether the canary gets a copy of the traffic
        self.iterations = 0
        self.copied = False  # whether the canary's spec has been copied to the primary (the candidate serves all)
        self.last_failure = ""
        self.stable = ""
        self.candidate = ""
        self.replicas = 1
        self.next_check = 0.0
        self.unready_since: float | None = None
        self._mirroring = False  # what the router does now
        self._affinity = False  # whether the router keeps users the canary answered on it (sessionAffinity)
        self._answers: dict[tuple[str, str], bool] = {}
        self._paused_noted: set[str] = set()  # gates held for good, noted once
        self._started = False

    # the driver's entry point ---------------------------------------------

    def step(self, observation: Observation) -> list[Command]:
        """The next commands: one check when it is due, then a wait until the next (see the module's rules)."""
        if self.state in _DONE:
            raise StrategyError("flagger canary stepped after it finished")
        commands: list[Command] = []
        now = observation.now
        if not self._started:
            self._started = True
            self.stable, self.candidate = observation.stable, observation.candidate
            self.replicas = max(1, observation.desired(observation.stable))
            self.next_check = now
        if now >= self.next_check - _EPSILON:
            self._check(observation, commands)
            while self.next_check <= now + _EPSILON:
                self.next_check += self.plan.interval_s
        if self.state in _DONE:
            commands.append(Finish())
        else:
            commands.append(self._wait(now, commands))
        return commands

    def _wait(self, now: float, commands: list[Command]) -> Command:
        if self.state is Phase.WAITING and self._held_for_good("confirm-rollout", now, commands):
            return Wait(seconds=PAUSE_SECONDS)  # nothing can happen any more: the run ends incomplete
        return Wait(seconds=max(0.0, self.next_check - now))

    def _held_for_good(self, kind: str, now: float, commands: list[Command]) -> bool:
        """Whether a gate of ``kind`` fails now and is never answered anew; a ``paused`` event the first time."""
        held = [hook.name for hook in self.plan.webhooks_of(kind)
                if not hook.passes(now) and hook.next_change(now) is None]
        if held and kind not in self._paused_noted:
            self._paused_noted.add(kind)
            checks = "" if kind == "confirm-rollout" else "; the checks go on"
            commands.append(Note(kind="paused", detail=f"{kind} webhook {held[0]} holds and the scenario never "
                                                       f"passes it{checks}", data=self._where()))
        return bool(held)

    # one check ---------------------------------------------------------------

    def _check(self, observation: Observation, commands: list[Command]) -> None:
        plan, now = self.plan, observation.now
        if self.state in (Phase.INITIALIZED, Phase.WAITING):
            if not plan.skip_analysis and not self._ready(observation, self.stable, plan.primary_ready_threshold):
                return
            if not self._gates("confirm-rollout", now, commands):
                if self.state is not Phase.WAITING:
                    self.state = Phase.WAITING
                    commands.append(self._phase_note(f"Halt {self._object()} advancement waiting for approval"))
                return
            commands.append(ScaleTo(version=self.candidate, replicas=self.replicas))
            self.state, self.unready_since = Phase.PROGRESSING, now
            commands.append(self._phase_note(f"New revision detected! Scaling up {plan.target}.{plan.namespace} "
                                             f"({self.candidate}, {self.replicas} pods)"))
            return
        primary = self.candidate if self.copied else self.stable
        if not plan.skip_analysis and not self._ready(observation, primary, plan.primary_ready_threshold):
            commands.append(self._phase_note(f"primary {plan.target}-primary.{plan.namespace} ({primary}) not ready: "
                                             "waiting for it"))
            return
        if not self.copied and not self._ready(observation, self.candidate, plan.canary_ready_threshold):
            since = now if self.unready_since is None else self.unready_since
            self.unready_since = since
            if now - since > plan.progress_deadline_s:
                self._roll_back(f"canary deployment {plan.target}.{plan.namespace} not ready for "
                                f"{now - since:g}s: progress deadline {plan.progress_deadline_s:g}s exceeded",
                                commands)
            return
        self.unready_since = None
        if plan.skip_analysis:
            self._promote("analysis skipped (skipAnalysis: true)", commands)
            self.state, self.outcome = Phase.SUCCEEDED, "promoted"
            commands.append(self._phase_note(f"Promotion completed! Canary analysis was skipped for "
                                             f"{plan.target}.{plan.namespace}"))
            return
        if self.state in _ANALYSING:
            for hook in plan.webhooks_of("rollback"):
                if self._call(hook, now, commands):
                    self._roll_back(f"rollback webhook {hook.name} signalled a rollback", commands)
                    return
        if self.state is Phase.PROMOTING:
            self._route_to_primary(commands)
            return
        if self.state is Phase.FINALISING:
            self.state, self.outcome = Phase.SUCCEEDED, "promoted"
            commands.append(self._phase_note(f"Promotion completed! Scaling down {plan.target}.{plan.namespace}"))
            return
        if self.state in _ANALYSING and self.failed_checks >= plan.threshold:
            self._roll_back(f"failed checks threshold reached {self.failed_checks}: {self.last_failure}", commands)
            return
        if self.canary_weight == 0 and self.iterations == 0 and not (plan.mirror and self.mirrored):
            commands.append(self._phase_note(f"Starting canary analysis for {plan.target}.{plan.namespace}"))
            for hook in plan.webhooks_of("pre-rollout"):
                if not self._call(hook, now, commands):
                    self._failed(f"pre-rollout check {hook.name} failed", commands, webhook=hook.name)
                    return
        elif not self._analysis(observation, commands):
            return
        if plan.ab_testing:
            self._ab_test(now, commands)
            return
        if plan.blue_green:
            self._blue_green(now, commands)
            return
        if plan.next_step_weight(self.canary_weight) > 0:
            if not self.mirrored and self.state not in (Phase.PROMOTING, Phase.WAITING_PROMOTION, Phase.FINALISING) \
                    and not self._gates("confirm-traffic-increase", now, commands):
                self._held_for_good("confirm-traffic-increase", now, commands)
                return
            self._advance(now, commands)

    def _ready(self, observation: Observation, version: str, threshold: int) -> bool:
        """Whether ``threshold`` % of ``version``'s desired pods (rounded down) are ready, as Flagger counts."""
        return observation.ready(version) >= int(observation.desired(version) * threshold / 100)

    # the analysis ----------------------------------------------------------

    def _analysis(self, observation: Observation, commands: list[Command]) -> bool:
        """The rollout webhooks, then every metric until one fails; whether the check passed."""
        for hook in self.plan.webhooks_of("rollout"):
            if not self._call(hook, observation.now, commands):
                self._failed(f"external check {hook.name} failed", commands, webhook=hook.name)
                return False
        for check in self.plan.checks:
            value, passed, message = self._measure(check, observation)
            figures: dict[str, object] = {
                "metric": check.name, "source": check.source, "measured": value, "unit": check.unit,
                "threshold_range": None if check.threshold_range is None else list(check.threshold_range),
            }
            if not passed:
                self._failed(message, commands, **figures)
                return False
            commands.append(Note(kind="check", detail=message,
                                 data={**self._where(), **figures, "verdict": "pass", "message": message}))
        return True

    def _measure(self, check: MetricCheck, observation: Observation) -> tuple[float | None, bool, str]:
        """``check``'s value (``None``: none), whether it passes, and a sentence saying so."""
        if check.query is None:
            return None, False, f"{check.name}: the query template does not render: {check.render_error}"
        reader = observation.prometheus
        if reader is None:
            raise StrategyError(f"metric {check.name} runs the PromQL query {check.query!r}, but the observation "
                                "carries no Prometheus reader")
        answer = reader.query(check.query)
        if isinstance(answer, QueryFailure):
            return None, False, f"{check.name}: Prometheus query failed: {answer.message}"
        if not isinstance(answer, list):
            return None, False, (f"{check.name}: the query returned a scalar ({answer:g}); Flagger reads an "
                                 "instant vector and fails on anything else")
        if not answer or math.isnan(answer[-1]):
            return None, False, (f"{check.name}: no values found, probably {self.plan.target}."
                                 f"{self.plan.namespace} is not receiving traffic")
        value = answer[-1]
        passed, sentence = judge(check, value)
        return value, passed, f"{check.name}: {sentence}"

    def _failed(self, message: str, commands: list[Command], **figures: object) -> None:
        """One more failed check, for ``message``."""
        self.failed_checks += 1
        self.last_failure = message
        commands.append(Note(
            kind="check", detail=f"Halt {self._object()} advancement: {message} (failed checks "
                                 f"{self.failed_checks}/{self.plan.threshold})",
            data={**self._where(), **figures, "verdict": "fail", "message": message}))

    # moving the traffic ---------------------------------------------------------

    def _advance(self, now: float, commands: list[Command]) -> None:
        """Flagger's ``runCanary``: the weight up a step, or at the top weight the promotion."""
        plan = self.plan
        if self.canary_weight < plan.top_weight:
            step = plan.next_step_weight(self.canary_weight)
            if plan.mirror and self.canary_weight == 0:
                if not self.mirrored:
                    self.mirrored, self.primary_weight, self.canary_weight = True, TOTAL_WEIGHT, 0
                else:
                    self.mirrored, self.primary_weight, self.canary_weight = False, TOTAL_WEIGHT - step, step
            else:
                self.primary_weight = max(0, self.primary_weight - step)
                self.canary_weight = min(TOTAL_WEIGHT, self.canary_weight + step)
            commands.extend(self._route())
            what = (f"mirroring {plan.mirror_weight or TOTAL_WEIGHT}% of the traffic to it" if self.mirrored
                    else f"canary weight {self.canary_weight}")
            commands.append(Note(kind="step", detail=f"Advance {self._object()} {what}",
                                 data={**self._where(), "action": "mirror" if self.mirrored else "advance"}))
            return
        if not self._gates("confirm-promotion", now, commands):
            self._hold_promotion(now, commands)
            return
        self._promote(f"canary analysis passed at {self.canary_weight}% (top weight {plan.top_weight}%)", commands)

    def _blue_green(self, now: float, commands: list[Command]) -> None:
        """Flagger's ``runBlueGreen``: an iteration at 0 %, then all traffic to the canary, then the promotion."""
        plan = self.plan
        if plan.iterations > self.iterations:
            if plan.mirror and not self.mirrored:
                self.mirrored, self.primary_weight, self.canary_weight = True, TOTAL_WEIGHT, 0
                commands.extend(self._route())
            self.iterations += 1
            commands.append(Note(kind="step", detail=f"Advance {self._object()} canary iteration "
                                                     f"{self.iterations}/{plan.iterations}",
                                 data={**self._where(), "action": "iteration"}))
            return
        if not self._gates("confirm-promotion", now, commands):
            self._hold_promotion(now, commands)
            return
        if plan.iterations == self.iterations:
            stop = "Stop traffic mirroring and route" if plan.mirror else "Routing"
            self.mirrored, self.primary_weight, self.canary_weight = False, 0, TOTAL_WEIGHT
            commands.extend(self._route())
            self.iterations += 1
            commands.append(Note(kind="step", detail=f"{stop} all traffic to canary",
                                 data={**self._where(), "action": "switch"}))
            return
        self._promote(f"all {plan.iterations} iterations passed and all traffic on the canary passed a check",
                      commands)

    def _ab_test(self, now: float, commands: list[Command]) -> None:
        """Flagger's ``runAB``: the matching users' route all to the canary for each iteration, then the promotion."""
        plan = self.plan
        if plan.iterations > self.iterations:
            if self.canary_weight != TOTAL_WEIGHT:  # Flagger sets the same routes again at each iteration
                self.primary_weight, self.canary_weight = 0, TOTAL_WEIGHT  # the weights of the matching route
                commands.extend(self._route())
            self.iterations += 1
            commands.append(Note(kind="step", detail=f"Advance {self._object()} canary iteration "
                                                     f"{self.iterations}/{plan.iterations}",
                                 data={**self._where(), "action": "iteration", "match_share": plan.match_share}))
            return
        if not self._gates("confirm-promotion", now, commands):
            self._hold_promotion(now, commands)
            return
        self._promote(f"all {plan.iterations} iterations passed with the matching users ({plan.match_share:g}%) on "
                      "the canary", commands)

    def _hold_promotion(self, now: float, commands: list[Command]) -> None:
        # At every hold, the first included (setStatusPhase), Flagger sets the iterations back to one before the
        # last: one more iteration comes before the gate is called again.
        if self.plan.blue_green:
            self.iterations = self.plan.iterations - 1
        if self.state is Phase.WAITING_PROMOTION:
            return
        self.state = Phase.WAITING_PROMOTION
        commands.append(self._phase_note(f"Halt {self._object()} advancement waiting for promotion approval"))
        self._held_for_good("confirm-promotion", now, commands)

    def _route(self) -> list[Command]:
        """The router as Flagger's weights say (the primary is the stable version until the copy).

        In A/B testing the weights are those of the route of the requests
        that match: the matching users (``match_share`` % of them, each
        always the same) get the canary's share, everyone else the primary.
        With ``sessionAffinity`` the router keeps the users the canary
        answered on it from its first weight on.
        """
        plan = self.plan
        if plan.ab_testing:
            assert plan.match_share is not None
            share = plan.match_share * self.canary_weight / TOTAL_WEIGHT
            return [SetWeights(weights={self.candidate: share, self.stable: TOTAL_WEIGHT - share}, sticky=True)]
        commands: list[Command] = [SetWeights(weights={self.candidate: float(self.canary_weight),
                                                       self.stable: float(self.primary_weight)})]
        if plan.session_affinity_s is not None and self.canary_weight > 0 and not self._affinity:
            self._affinity = True
            commands.append(SessionAffinity(version=self.candidate, max_age=plan.session_affinity_s))
        commands.extend(self._mirror(self.mirrored))
        return commands

    def _mirror(self, on: bool) -> list[Command]:
        if on == self._mirroring:
            return []
        self._mirroring = on
        return [Mirror(version=self.candidate, percentage=float(self.plan.mirror_weight or TOTAL_WEIGHT) if on
                       else 0.0)]

    # outcomes -----------------------------------------------------------------

    def _promote(self, reason: str, commands: list[Command]) -> None:
        """Copy the canary's spec to the primary: the candidate takes all traffic, the stable version goes."""
        plan = self.plan
        commands.append(Decide(outcome="promoted", reason=reason, analysis=self._figures()))
        commands.append(self._phase_note(f"Copying {plan.target}.{plan.namespace} template spec to "
                                         f"{plan.target}-primary.{plan.namespace}"))
        commands.append(SetWeights(weights={self.candidate: 100.0, self.stable: 0.0}))
        commands.extend(self._mirror(False))
        commands.append(ScaleTo(version=self.stable, replicas=0))
        self.copied, self.state, self.outcome = True, Phase.PROMOTING, "promoted"

    def _route_to_primary(self, commands: list[Command]) -> None:
        """Flagger's traffic back to the primary after the copy (all on the candidate here already)."""
        step = self.plan.step_weight_promotion
        if step == 0:
            self.primary_weight, self.canary_weight = TOTAL_WEIGHT, 0
            self.state = Phase.FINALISING
            commands.append(self._phase_note("Routing all traffic to primary"))
            return
        if self.canary_weight > 0:
            self.primary_weight = min(TOTAL_WEIGHT, self.primary_weight + step)
            self.canary_weight = max(0, self.canary_weight - step)
            if self.primary_weight == TOTAL_WEIGHT:
                self.state = Phase.FINALISING
            commands.append(self._phase_note(f"Advance {self._object()} primary weight {self.primary_weight}"))

    def _roll_back(self, reason: str, commands: list[Command]) -> None:
        """All traffic to the stable version, mirroring stopped, the candidate scaled to zero: FAILED."""
        commands.append(Decide(outcome="rolled_back", reason=reason, analysis=self._figures()))
        self.primary_weight, self.canary_weight, self.mirrored = TOTAL_WEIGHT, 0, False
        commands.append(SetWeights(weights={self.stable: 100.0, self.candidate: 0.0}))
        commands.extend(self._mirror(False))
        commands.append(ScaleTo(version=self.candidate, replicas=0))
        self.state, self.outcome = Phase.FAILED, "rolled_back"
        commands.append(self._phase_note(f"Canary failed! Scaling down {self._object()}"))

    # webhooks ---------------------------------------------------------------

    def _gates(self, kind: str, now: float, commands: list[Command]) -> bool:
        """Whether every webhook of ``kind`` passes, called in order until one does not."""
        return all(self._call(hook, now, commands) for hook in self.plan.webhooks_of(kind))

    def _call(self, hook: Webhook, now: float, commands: list[Command]) -> bool:
        """Call ``hook``: its answer at ``now``; a ``webhook`` event when the answer differs from its last one."""
        passes = hook.passes(now)
        key = (hook.kind, hook.name)
        if passes != self._answers.get(key, hook.default):
            gate = hook.kind.startswith("confirm-")
            result = "pass" if passes else ("hold" if gate else "fail")
            effect = {"pass": "passes", "hold": "holds", "fail": "fails"}[result]
            commands.append(Note(kind="webhook", detail=f"{hook.kind} webhook {hook.name} {effect}",
                                 data={**self._where(), "webhook": hook.name, "type": hook.kind, "answer": result}))
        self._answers[key] = passes
        if passes and hook.load is not None:
            load = hook.load
            target = self.candidate if load.target == "canary" or self.copied else self.stable
            commands.append(LoadTest(task=f"{self._object()} {load.command}", version=target, workers=load.workers,
                                     period=load.period, duration=load.duration))
        return passes

    # events ---------------------------------------------------------------

    def _object(self) -> str:
        return f"{self.plan.name}.{self.plan.namespace}"

    def _where(self) -> dict[str, object]:
        """The phase, the canary's weight (%), the failed checks so far: for events."""
        return {"phase": self.state.value, "weight": self.canary_weight, "failed_checks": self.failed_checks,
                "threshold": self.plan.threshold}

    def _phase_note(self, detail: str) -> Note:
        return Note(kind="phase", detail=detail, data=self._where())

    def _figures(self) -> dict[str, object]:
        figures: dict[str, object] = {"failed_checks": self.failed_checks, "threshold": self.plan.threshold,
                                      "weight": self.canary_weight}
        if self.plan.blue_green:
            figures["iterations"] = self.iterations
        if self.plan.ab_testing:
            figures["match_share"] = self.plan.match_share
        if self.last_failure:
            figures["last_failure"] = self.last_failure
        return figures
