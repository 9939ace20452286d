"""The seeds story reaches its subscribers: `claimwatch subscribe`, then `claimwatch replay`.

A signed webhook filtered on contradictions and an Apprise channel filtered on the
operator's claim (json:// to the loopback receiver) receive what DESIGN.md expects.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import OPERATOR_CLAIM, SEEDS, check_report, run_cli
from test_notify_webhook import SECRET, Receiver, verify

from cli.main import main


@pytest.mark.integration
def test_replayed_seeds_reach_the_story_subscribers(tmp_path: Path, postgres_url: str) -> None:
    env = {
        "CLAIMWATCH_DATABASE_URL": postgres_url,  # the worker tests cover SQLite
        "HOOK_SECRET": SECRET,
        "CLAIMWATCH_PUBLIC_URL": "https://cw.example",
        "CLAIMWATCH_ALLOWED_NETWORKS": "127.0.0.1/32",  # the receiver listens on loopback
    }
    claims = tmp_path / "claims.json"
    claims.write_text(json.dumps([OPERATOR_CLAIM]))
    with Receiver() as receiver:
        hook = ["subscribe", receiver.url("/hook"), "--secret-env", "HOOK_SECRET"]
        run_cli([*hook, "--kinds", "contradiction"], env, tmp_path)
        apprise_url = f"json://127.0.0.1:{receiver.port}/apprise"
        run_cli(["subscribe", apprise_url, "--claim", OPERATOR_CLAIM["id"]], env, tmp_path)
        run_cli(["subscribe", receiver.url("/other"), "--claim", "another-claim"], env, tmp_path)
        listing = json.loads(run_cli(["subscriptions", "list", "--json"], env, tmp_path))
        assert [s["channel"] for s in listing] == ["webhook", "apprise", "webhook"]
        assert "HOOK_SECRET" in str(listing) and SECRET not in str(listing)
        report = tmp_path / "report.json"
        replay = ["replay", str(SEEDS), "--claims", str(claims), "--report", str(report)]
        run_cli(replay, env, tmp_path)
        check_report(report, claim_id=OPERATOR_CLAIM["id"])

        alerts = [verify(SECRET, r)["data"] for r in receiver.at("/hook")]
        by_article = {a["article"]["ref"]: a for a in alerts}
        assert sorted(by_article) == ["000", "004"] and len(alerts) == 2  # nothing for 003
        denial = by_article["000"]
        assert denial["article"]["stance"] == "refutes" and denial["article"]["evidence"]
        assert {a["ref"] for a in denial["contradicts"]} & {"001", "002"}
        assert all(a["evidence"] for a in denial["contradicts"])
        new_yorker = by_article["004"]
        assert "The New Yorker" in new_yorker["summary"]
        assert [a["ref"] for a in new_yorker["contradicts"]] == ["000"]
        assert new_yorker["contradicts"][0]["outlet"] == "The Post Millennial"
        assert new_yorker["claim"]["id"] == OPERATOR_CLAIM["id"]
        assert (
            new_yorker["story"]["url"] == f"https://cw.example/stories/{new_yorker['story']['id']}"
        )

        # Apprise gets every alert of the claim, rendered for people.
        messages = [r.json() for r in receiver.at("/apprise")]
        titles = [m["title"] for m in messages]
        assert sum(t.startswith("claimwatch contradiction:") for t in titles) == 2
        assert any(t.startswith("claimwatch new source:") for t in titles)
        contradiction = next(m["message"] for m in messages if "Obozrevatel" in m["title"])
        assert "The Post Millennial" in contradiction and "Musk denies" in contradiction
        assert "https://cw.example/stories/" in contradiction
        assert not receiver.at("/other")
        statuses = json.loads(run_cli(["subscriptions", "list", "--json"], env, tmp_path))
        assert statuses[0]["deliveries"] == {"sent": 2}
        assert run_cli(["subscriptions", "remove", "3"], env, tmp_path).strip() == (
            "subscriber 3: removed"
        )
        assert len(json.loads(run_cli(["subscriptions", "list", "--json"], env, tmp_path))) == 2


@pytest.mark.parametrize(
    "args",
    [
        ["nonsense://x"],
        ["http://h/x", "--kinds", "everything"],
        ["mailto://u:p@example.com", "--secret-env", "S"],
        ["http://h/x", "--secret-env", "whsec_abc="],
        ["http://h/x", "--min-score", "2"],
    ],
)
def test_subscribe_refuses_what_it_cannot_deliver(args: list[str], capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["subscribe", *args]) == 2  # refused before the database is opened
    assert "claimwatch subscribe:" in capsys.readouterr().err
