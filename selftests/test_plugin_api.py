"""The plug-in API: loading MODULE:ATTR, bad input, adapters, time limit, xfails file, library use."""

from __future__ import annotations

import pytest
from hypothesis import Phase, settings

from conformance.harness import timelimit
from conformance.adapters import Wrapped, counter, handler, wrapped
from conformance.model.case import Case, Plan
from conformance.model.verdict import ConformanceFailure
from conformance.library import check_target, parametrize_targets
from conformance.targets.loading import load
from conformance.harness.oracle import TIMED_OUT, check_resume
from conformance.targets.selection import BrokenTarget, select
from conformance.model.optimizer import OptimizerSetup
from conformance.targets.known import XfailsFileError, load_file, match
from selftests import controls
from selftests.bestiary import OffByOneOnLoad
from selftests.runner import run_suite

BAD = {
    "selftests.nosuch:X": "could not be imported",
    "selftests.import_fails:X": "could not be imported",
    "selftests.controls:NoSuchThing": "has no attribute",
    "selftests.badtargets:NOT_A_SCHEDULER": "is an int, not a scheduler",
    "selftests.badtargets:raising_factory": "raised RuntimeError: this factory needs a config",
    "selftests.badtargets:returns_optimizer": "no step() method",
    "selftests.badtargets:EMPTY": "empty list",
    "no_colon_here": "neither 'torch'",
}


@pytest.mark.parametrize("ref", sorted(BAD))
def test_bad_reference_is_one_clear_message(ref):
    good, broken = select([ref])
    assert not good and len(broken) == 1
    assert ref in broken[0].problem and BAD[ref] in broken[0].problem, broken[0].problem


def test_hanging_factory_is_stopped(monkeypatch):
    monkeypatch.setattr(timelimit, "SECONDS", 0.5)
    (broken,) = load("selftests.badtargets:hanging_factory")
    assert isinstance(broken, BrokenTarget) and "TargetTimeout" in broken.problem


def test_forms_and_names():
    good, broken = select(["selftests.controls:CONTROLS", "StepLR", "StepLR", "selftests.controls:StepDecay"])
    assert not broken
    names = [t.name for t in good]
    assert names[:11] == ["StepDecay", "MetricHalving", "NoLastLrDecay", "SeededJitter", "halving_lambda",
                          "WarmupCosine", "BetaCycle", "UpdateCounter", "IterationHandler", "WarmupWrapper",
                          "MomentumCycle"]
    assert names.count("StepLR") == 1 and names.count("StepDecay") == 1  # named twice, runs once
    (spec,) = load("selftests.controls:MOMENTUM")
    assert spec is controls.MOMENTUM
    from conformance.targets.loading import convert

    by_key = convert({"decay": controls.StepDecay, "spec": controls.COUNTED}, "d", "m:d")
    assert [t.name for t in by_key] == ["decay", "UpdateCounter"]  # a dict's keys name classes and factories


def test_a_builtin_named_by_path_is_the_builtin_record():
    good, _ = select(["torch.optim.lr_scheduler:ReduceLROnPlateau", "ReduceLROnPlateau"])
    assert [t.name for t in good] == ["ReduceLROnPlateau"]  # one target, the built-in's own record


def test_a_user_class_named_like_a_builtin_keeps_both():
    good, _ = select(["StepLR", "selftests.inference_targets:StepLR"])
    assert [t.name for t in good] == ["StepLR", "StepLR@selftests.inference_targets:StepLR"]


def _case(groups=2, epochs=12, stops=(5,)):
    lrs = tuple(0.1 / (i + 1) for i in range(groups))
    return Case(OptimizerSetup("SGD", lrs, {"momentum": 0.9}), {}, Plan(epochs, stops))


@pytest.mark.parametrize("spec", [controls.COUNTED, controls.HANDLER, controls.WARMUP, controls.MOMENTUM],
                         ids=lambda s: s.name)
def test_adapters_resume_exactly(spec):
    config = {"every": 2, "gamma": 0.5, **({"period": 4} if spec is controls.WARMUP else {})}
    case = Case(_case().setup, config, _case().plan)
    verdict = check_resume(spec, case, "resume.multi")
    assert verdict.ok, verdict.explain()


def test_counter_adapter_passes_the_count():
    seen = []

    class Timm:
        def step_update(self, num_updates, metric=None):
            seen.append((num_updates, metric))

        def state_dict(self):
            return {}

        def load_state_dict(self, state):
            pass

    a = counter("step_update")
    s = Timm()
    a.step(s, None)
    a.step(s, 0.5)
    state = a.state_dict(s)
    fresh = Timm()
    a.load_state_dict(fresh, state)
    a.step(fresh, None)
    assert seen == [(1, None), (2, 0.5), (3, None)]


def test_wrapped_adapter_steps_inside_the_context():
    calls = []

    class Wrapper:
        def dampening(self):
            import contextlib

            @contextlib.contextmanager
            def ctx():
                calls.append("enter")
                yield
                calls.append("exit")

            return ctx()

    class Inner:
        def step(self):
            calls.append("step")

    wrapped().step(Wrapped(Inner(), Wrapper()), None)
    assert calls == ["enter", "step", "exit"]
    assert handler().state_dict is not None


def test_a_hang_is_an_error_verdict_naming_the_phase(monkeypatch):
    monkeypatch.setattr(timelimit, "SECONDS", 0.5)
    (spec,) = load("selftests.bestiary:HangsAfterLoad")
    verdict = check_resume(spec, _case(), "resume.canonical")
    TIMED_OUT.pop(spec.name, None)
    assert verdict.status == "error" and "HangsAfterLoad timed out in step()" in verdict.message


def test_no_get_last_lr_compares_optimizer_values():
    (spec,) = load("selftests.controls:NoLastLrDecay")
    assert spec.adapter.last_lr(spec.build(_probe(), {})) is None
    assert check_resume(spec, _case(), "resume.canonical").ok


def _probe():
    from conformance.targets.loading import probe_optimizer

    return probe_optimizer(momentum=False)


def test_xfails_file(tmp_path):
    path = tmp_path / "xfails.toml"
    path.write_text('[MyScheduler]\n"resume.canonical" = { reason = "off by one", link = "https://x/1" }\n'
                    '"serialization" = "custom class"\n')
    known = load_file(str(path))["MyScheduler"]
    assert match(known, "resume.canonical").xfail_reason == "off by one (https://x/1)"
    assert match(known, "serialization.weights_only").reason == "custom class"
    assert match(known, "resume.multi") is None
    (tmp_path / "bad.toml").write_text("[X]\n'a' = 3\n")
    with pytest.raises(XfailsFileError, match="reason"):
        load_file(str(tmp_path / "bad.toml"))


@pytest.fixture
def few_examples():
    """`ci`'s derandomized examples, the first 2 only and no shrinking, for the library tests below.

    What they prove is the library's wiring (ids, xfail marks, records, raising), not a budget. Under
    `ci` a known failure runs all 15 examples and an unregistered one is shrunk: 30 and 14 s idle, most
    of it in one drawn Muon example whose steps cost 8 ms each. OffByOneOnLoad's 2nd `ci` example
    diverges (its 1st does not); should the draws change, these tests go red, never green by mistake.
    """
    previous = settings.get_current_profile_name()
    parent = settings.get_profile("ci")
    settings.register_profile("lrc-selftest-few", parent, max_examples=2,
                              phases=[p for p in parent.phases if p is not Phase.shrink])
    settings.load_profile("lrc-selftest-few")
    yield
    settings.load_profile(previous)


# Library use, as in a user's own test file: one test per target x check, readable ids.
@parametrize_targets(
    [controls.StepDecay, controls.halving_lambda, OffByOneOnLoad],
    checks=["resume.canonical"],
    expected_failures=lambda t: {"resume.canonical": "off by one on purpose"} if t.name == "OffByOneOnLoad" else {},
)
def test_library_parametrize(target, check, request, few_examples):
    xfail = request.node.get_closest_marker("xfail")
    if target.name != "OffByOneOnLoad":
        assert xfail is None and check.known_failure is None, xfail
        check(target)  # a red verdict raises ConformanceFailure: this test fails
    else:  # the expected failure, made explicit: it must fail, with the off-by-one divergence
        assert xfail is not None and xfail.kwargs["reason"].startswith("off by one on purpose"), xfail
        with pytest.raises(ConformanceFailure) as raised:
            check(target)
        assert raised.value.verdict.status == "fail" and "first divergence" in str(raised.value), raised.value
        pytest.xfail(xfail.kwargs["reason"])


def test_library_ids(request):
    ids = [i.name for i in request.session.items if i.originalname == "test_library_parametrize"]
    assert "test_library_parametrize[StepDecay-resume.canonical]" in ids


def test_check_target_returns_records(few_examples):
    (result,) = check_target(OffByOneOnLoad, checks=["resume.canonical"])
    assert (result.target, result.check, result.status) == ("OffByOneOnLoad", "resume.canonical", "fail")
    assert "first divergence" in result.message


def test_bad_input_end_to_end(shared_dir):
    """One subprocess: bad references fail their load test, the others still run; a hang is an error."""
    refs = ["selftests.nosuch:X", "selftests.badtargets:raising_factory", "selftests.badtargets:NOT_A_SCHEDULER",
            "selftests.bestiary:StateDictRaises", "selftests.bestiary:HangsAfterLoad", "selftests.controls:StepDecay",
            "selftests.bestiary:OffByOneOnLoad"]
    xfails = shared_dir / "xfails.toml"
    xfails.write_text('[OffByOneOnLoad]\n"resume" = { reason = "off by one on purpose", link = "https://example.org/1" }\n')
    run = run_suite(shared_dir, "bad_input", [*(f"--target={r}" for r in refs), "--lrc-timeout=2",
                                              f"--xfails-file={xfails}",
                                              "-k", "loads or canonical", "conformance/tests/test_targets.py",
                                              "conformance/tests/test_checks.py"])
    tests, out = run["tests"], run["output"]
    assert run["exit"] == 1, out[-3000:]
    for ref in refs[:3]:
        status, message = tests[f"test_target_loads[{ref}]"]
        assert status == "failed" and ref in message, (ref, status, message)
    assert tests["test_resume_canonical[StepDecay]"][0] == "passed", out[-3000:]
    status, message = tests["test_resume_canonical[StateDictRaises]"]
    assert status == "failed" and "[error] target StateDictRaises" in message and "state_dict()" in message
    status, message = tests["test_resume_canonical[HangsAfterLoad]"]
    assert status == "failed" and "HangsAfterLoad timed out in step()" in message, message
    assert "test_target_loads[selftests.nosuch:X]" in out  # named in the terminal summary
    status, message = tests["test_resume_canonical[OffByOneOnLoad]"]  # --xfails-file
    assert status == "xfailed" and "off by one on purpose (https://example.org/1)" in message, (status, message)


def test_missing_contrib_library_is_a_skip_with_reason():
    from conformance.targets.contrib import unavailable

    (stand_in,) = unavailable("nopkg", ImportError("No module named 'nopkg'"))
    assert stand_in.skip and "pip install nopkg" in stand_in.problem
    # pytorch-warmup is installed (requirements/lock.txt): its targets load, with no stand-in.
    good, broken = select(["conformance.targets.contrib.pytorch_warmup:TARGETS"])
    assert not broken, [b.problem for b in broken]
    assert [t.name for t in good] == ["pytorch_warmup.LinearWarmup", "pytorch_warmup.ExponentialWarmup"]
