"""The ``rollout-sim`` command line: run, compare, sweep, check, validate, export, schema.

Bad input prints one line naming the file, key path, bad value and what was
expected, and exits with status 2; nothing is written.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from simulator.errors import ScenarioError, SimulatorError

if TYPE_CHECKING:
    from simulator.scenario.model import Scenario

__all__ = ["main", "console_main"]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


def _version() -> str:
    """The installed package's version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("rollout-sim")
    except PackageNotFoundError:
        return "(version unknown: the package is not installed)"


class _VersionAction(argparse.Action):
    """``--version``: the version is looked up only when asked for (the package metadata takes a while to read)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS,
                 default: str = argparse.SUPPRESS, help: str = "show program's version number and exit") -> None:
        super().__init__(option_strings=option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        print(f"rollout-sim {_version()}")
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rollout-sim",
        description="Simulate rolling out ML model versions with canary, blue-green, rolling, immediate, "
                    "A/B test and shadow strategies.",
    )
    parser.add_argument("--version", action=_VersionAction)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="simulate each strategy of a scenario once and print what happened")
    run.add_argument("file", help="scenario file (.yaml, .yml, .json or .toml)")
    run.add_argument("--strategy", action="append", metavar="LABEL",
                     help="only this strategy label (repeatable; default: all)")
    run.add_argument("--seed", type=int, help="random seed (default: the scenario's seed)")
    run.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    run.add_argument("--out", metavar="DIR", help="also write runs.json, timeline.csv, events.csv, timeline.png here")
    run.add_argument("--data-plane", choices=["batch", "per_request"],
                     help="batch (fast, default) or per_request (simpy reference, slow)")

    for name, text in (("compare", "run every strategy on many paired seeds and compare them"),
                       ("sweep", "run a grid of parameter values on paired seeds")):
        experiment = commands.add_parser(name, help=text)
        experiment.add_argument("file", help="scenario file")
        if name == "sweep":
            experiment.add_argument("--param", action="append", required=True, metavar="KEY.PATH=V1,V2",
                                    help="values to sweep (repeatable; the grid of all combinations)")
        experiment.add_argument("--runs", type=int, help="seeds per strategy (default: the scenario's runs)")
        experiment.add_argument("--strategy", action="append", metavar="LABEL", help="only these labels")
        experiment.add_argument("--jobs", type=int, default=1, help="local processes (default 1)")
        experiment.add_argument("--executor", choices=["local", "dask"], default="local")
        experiment.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler (default: a local cluster)")
        experiment.add_argument("--out", metavar="DIR",
                                help="results directory (resumable: a rerun makes only the missing runs)")
        experiment.add_argument("--json", action="store_true", help="print the summary as JSON")

    checker = commands.add_parser(
        "check", help="run every scenario's expect block; exit 1 if one fails or nothing was checked"
    )
    checker.add_argument("paths", nargs="+", help="scenario files or directories")
    checker.add_argument("--junit", metavar="FILE", help="write JUnit XML (one test case per expectation)")
    checker.add_argument("--summary", metavar="FILE", help="write a Markdown summary (e.g. $GITHUB_STEP_SUMMARY)")
    checker.add_argument("--json", action="store_true", help="print the results as JSON")
    checker.add_argument("--jobs", type=int, default=1, help="local processes")
    checker.add_argument("--runs", type=int, help="seeds per scenario (default: each scenario's runs)")
    checker.add_argument("--strategy", action="append", metavar="LABEL",
                         help="only the expectations of this strategy label (repeatable; default: all)")
    checker.add_argument("--allow-empty", action="store_true",
                         help="exit 0 when nothing was checked (default: exit 1, so that a CI guard that checks "
                              "nothing does not pass)")
    checker.add_argument("--save-baseline", metavar="FILE", help="store the measured figures")
    checker.add_argument("--baseline", metavar="FILE", help="also fail when a figure is significantly worse")

    validate = commands.add_parser(
        "validate", help="check a scenario file (its expectations too) and say what it holds; every problem is "
                         "one line with its key path"
    )
    validate.add_argument("file")

    exporter = commands.add_parser(
        "export", help="write a scenario's canary or blue-green strategy as Argo Rollouts or Flagger manifests "
                       "that run back the same (docs/export.md)"
    )
    exporter.add_argument("file", help="scenario file")
    exporter.add_argument("--to", required=True, choices=["argo", "flagger"], help="the tool whose manifests to write")
    exporter.add_argument("--strategy", metavar="LABEL",
                          help="the strategy to export (default: the only one the tool can express)")
    exporter.add_argument("-o", "--output", metavar="PATH", help="write the YAML here (default: standard output)")

    commands.add_parser("schema", help="print the JSON Schema of scenario files as written, for editors "
                                       "(# yaml-language-server: $schema=FILE)")
    return parser


def _run(args: argparse.Namespace) -> int:
    from simulator.scenario import load_scenario

    scenario = load_scenario(args.file)  # before the engine is imported: bad input is reported at once
    _raise_query_problem(scenario, args.file)
    _print_warnings(scenario, args.file)
    labels = args.strategy or scenario.labels
    for label in labels:
        if label not in scenario.labels:
            from simulator.scenario.base import suggest

            raise ScenarioError(
                f"--strategy: got '{label}'{suggest(label, scenario.labels)}; "
                f"expected one of: {', '.join(scenario.labels)}",
                file=args.file,
            )
    if args.seed is not None and args.seed < 0:
        raise ScenarioError(f"--seed: got {args.seed}; expected an integer >= 0", file=args.file)
    from simulator.driver import run
    from simulator.report import print_runs, runs_document

    _start_up_over()
    results = [run(scenario, label, args.seed, args.data_plane) for label in labels]
    if args.out:
        from simulator.report import write_run_results
        from simulator.scenario.written_dump import written_dump

        write_run_results(args.out, scenario.name, results, written_dump(scenario, mode="json"))
    if args.json:
        json.dump(runs_document(scenario.name, results), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print_runs(scenario.name, results)
        if args.out:
            print(f"results written to {args.out}/")
    return EXIT_OK


def _experiment(args: argparse.Namespace) -> int:
    from simulator.scenario import load_scenario

    if args.runs is not None and args.runs < 1:
        raise ScenarioError(f"--runs: got {args.runs}; expected an integer >= 1", file=args.file)
    if args.jobs < 1:
        raise ScenarioError(f"--jobs: got {args.jobs}; expected an integer >= 1", file=args.file)
    scenario = load_scenario(args.file)  # before the engine is imported: bad input at once
    _raise_query_problem(scenario, args.file)
    _print_warnings(scenario, args.file)
    from simulator.experiment import compare, parse_param, sweep
    from simulator.report.terminal import print_experiment

    _start_up_over()
    options = dict(strategies=args.strategy, out=args.out, executor=args.executor, jobs=args.jobs,
                   scheduler=args.scheduler, progress=sys.stderr.isatty(), representative=bool(args.out))
    if args.command == "compare":
        result = compare(args.file, args.runs, **options)
    else:
        params = dict(parse_param(text) for text in args.param)
        result = sweep(args.file, params, args.runs, **options)
    if args.out:
        from simulator.report import write_experiment_report

        write_experiment_report(result, args.out)  # the rendered report, beside the data compare stored
    decision = result.decision()
    if args.json:
        print(json.dumps({"decision": decision.to_dict(),
                          "summary": json.loads(result.summary.to_json(orient="records")),
                          "paired": json.loads(result.paired.to_json(orient="records")) if not result.paired.empty
                          else []}, indent=2, default=str))
    else:
        print_experiment(result.scenario.name, result.summary, result.paired, decision)
        if args.out:
            print(f"{result.executed} runs made; results in {args.out}/ (report.md, runs.parquet, summary.json)")
    failed = int(result.rows["error"].notna().sum())
    if failed:
        print(f"{failed} run(s) failed; their errors are in the rows", file=sys.stderr)
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    from pathlib import Path

    from simulator.check import check, save_baseline
    from simulator.check.outputs import json_summary, junit_xml, markdown_summary, print_table

    baseline = None
    if args.baseline:
        try:
            baseline = json.loads(Path(args.baseline).read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise ScenarioError(f"cannot read the baseline ({error}); expected a file from --save-baseline",
                                file=args.baseline) from None
    if args.jobs < 1:
        raise ScenarioError(f"--jobs: got {args.jobs}; expected an integer >= 1")
    _start_up_over()
    result = check(args.paths, jobs=args.jobs, baseline=baseline, progress=sys.stderr.isatty(), runs=args.runs,
                   strategies=args.strategy, warn=lambda line: print(f"warning: {line}", file=sys.stderr))
    if args.junit:
        Path(args.junit).write_text(junit_xml(result))
    if args.summary:
        with open(args.summary, "a") as handle:
            handle.write(markdown_summary(result))
    if args.save_baseline:
        save_baseline(result, args.save_baseline)
    if args.json:
        print(json.dumps(json_summary(result), indent=2))
    else:
        print_table(result)
    if not result.checked and not args.allow_empty:
        chosen = f" of {', '.join(args.strategy)}" if args.strategy else ""
        print(f"error: nothing checked: no expectation{chosen} in {', '.join(args.paths)} (a directory is searched "
              "for scenario files with an expect block); expected at least one, or --allow-empty", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK if result.passed else EXIT_FAILURE


def _may_be_manifests(path: str) -> bool:
    """Whether ``path`` is a directory or mentions ``apiVersion`` (else the manifest models need not load)."""
    from pathlib import Path

    target = Path(path)
    if target.is_dir():
        return True
    try:
        with target.open("rb") as handle:
            return b"apiVersion" in handle.read(1 << 20)
    except OSError:
        return False  # the scenario reader says what is wrong with it


def _looks_like_manifests(path: str) -> bool:
    from simulator.scenario.manifests import looks_like_manifests

    return looks_like_manifests(path)


def _validate(args: argparse.Namespace) -> int:
    """Every problem of the file, one line each (exit 2); else what the scenario holds."""
    from simulator.check.expectation_syntax import expectation_problems
    from simulator.scenario import parse_scenario, read_scenario_data
    from simulator.scenario.loader import scenario_problems
    from simulator.scenario.model import NO_STRATEGY_LABEL

    if _may_be_manifests(args.file) and _looks_like_manifests(args.file):  # Argo Rollouts / Flagger manifests
        from simulator.analysis.argo import parse_analysis_template
        from simulator.scenario.manifests import manifest_report

        lines, problems = manifest_report(args.file, analysis_template_parser=lambda raw: parse_analysis_template(
            raw.document, file=args.file))
        status = _report_problems(problems, args.file) if problems else EXIT_OK
        if lines:
            print("\n".join(lines))
        return status
    data = read_scenario_data(args.file)
    problems = scenario_problems(data, source=args.file)
    strategies = data.get("strategies")
    labels = [str(label) for label in strategies] if isinstance(strategies, dict) and strategies else \
        [NO_STRATEGY_LABEL]
    if isinstance(data.get("expect"), dict):
        known = {problem.path for problem in problems}  # the block's shape is checked by both: one line a key
        problems += [problem for problem in expectation_problems(data["expect"], labels, file=args.file)
                     if problem.path not in known]
    if problems:
        return _report_problems(problems, args.file)
    scenario = parse_scenario(data, source=args.file)
    query_problems = _query_problems(scenario, args.file)
    if query_problems:
        return _report_problems(query_problems, args.file)
    strategies = ", ".join(f"{label} ({config.kind})" for label, config in scenario.strategies.items()) or "none"
    print(
        f"{args.file}: ok - scenario '{scenario.name}', versions {', '.join(scenario.versions)}, "
        f"stable {scenario.stable}, candidate {scenario.candidate or '-'}, strategies: {strategies}"
    )
    from simulator.world.truth import explain_truth

    truth = explain_truth(scenario)
    print(f"{truth.sentence()} (decisions are scored against it)")
    _print_warnings(scenario, args.file, truth.warnings)
    return EXIT_OK


def _report_problems(problems: Sequence[ScenarioError], file: str) -> int:
    """One ``error:`` line per problem on stderr (and their count when several); the bad-input exit status."""
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if len(problems) > 1:
        print(f"{file}: {len(problems)} problems", file=sys.stderr)
    return EXIT_BAD_INPUT


def _query_problems(scenario: Scenario, file: str) -> list[ScenarioError]:
    """The PromQL problems of the scenario's manifest strategies (none to check: nothing imported)."""
    if not any(config.kind in ("argo_rollout", "flagger_canary") for config in scenario.strategies.values()):
        return []
    from simulator.strategies.manifest_queries import query_problems

    return query_problems(scenario, file=file)


def _raise_query_problem(scenario: Scenario, file: str) -> None:
    """Refuse a scenario whose manifest strategies run a query that cannot be evaluated, before any run."""
    problems = _query_problems(scenario, file)
    if problems:
        raise problems[0]


def _print_warnings(scenario: Scenario, file: str, more: Sequence[str] = ()) -> None:
    """What the scenario probably did not mean, one ``warning:`` line each on stderr."""
    from simulator.world.scenario_warnings import scenario_warnings

    for warning in [*map(str, scenario_warnings(scenario)), *more]:
        print(f"warning: {file}: {warning}", file=sys.stderr)


def _export(args: argparse.Namespace) -> int:
    from simulator.export.command import run_export

    run_export(args.file, args.to, args.strategy, args.output)
    return EXIT_OK


def _schema(_: argparse.Namespace) -> int:
    from simulator.check.expectation_syntax import expectation_key_names
    from simulator.scenario import scenario_schema

    json.dump(scenario_schema(expectation_key_names()), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return EXIT_OK


class _StartUpCollection:
    """The console script's pause of the cyclic garbage collector during start-up (see :func:`console_main`)."""

    paused = False  # start-up is under way, the collector off
    simulated = False  # the command went on to simulate, the collector on


def _start_up_over() -> None:
    """The command starts simulating: collect garbage from here on, leaving out what start-up made.

    Only the console script pauses the collector; a caller of :func:`main` keeps its own collector as it was.
    """
    if _StartUpCollection.paused:
        _StartUpCollection.paused = False
        _StartUpCollection.simulated = True
        gc.freeze()
        gc.enable()


def console_main() -> int:
    """Entry point of the ``rollout-sim`` console script: :func:`main`, started and ended faster.

    Start-up (the imports, numba's among them, and the scenario models) makes a few hundred thousand long-lived
    objects and next to no garbage, so the cyclic collector waits until the command starts simulating
    (:func:`_start_up_over`), then leaves them out of every collection. At exit the objects still alive are
    frozen: the interpreter's final collections over them would add about 0.2 s, for memory the operating system
    takes back anyway. The garbage the simulation made is collected first, so its finalizers (threads, pools,
    files) still run.
    """
    gc.disable()
    _StartUpCollection.paused, _StartUpCollection.simulated = True, False
    try:
        return main()
    finally:
        if _StartUpCollection.simulated:
            gc.collect()
        _StartUpCollection.paused = _StartUpCollection.simulated = False
        gc.freeze()
        gc.enable()


def main(argv: Sequence[str] | None = None) -> int:
    """The command line on ``argv`` (default: the process's arguments); returns the exit status.

    The garbage collector stays as the caller had it; the console script is :func:`console_main`.
    """
    args = _parser().parse_args(argv)
    if getattr(args, "out", None):  # only --out draws, into files: a non-interactive backend, whatever is set
        import matplotlib

        matplotlib.use("agg")
    handlers = {"run": _run, "compare": _experiment, "sweep": _experiment, "check": _check,
                "validate": _validate, "export": _export, "schema": _schema}
    try:
        return handlers[args.command](args)
    except ScenarioError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SimulatorError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); nothing more to say.
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(console_main())
