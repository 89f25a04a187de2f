"""A new kind of entity is one declaration (issue 29).  BroadStreet's imagined *sections*,
listed per network (``GET /sections?network_id=N``), are declared here and nowhere else:
the simulator serves them from the declaration's recipe, the sync mirrors them (and
deletes what vanished), and the app lists them, shows them live while the mirror is
unreachable, opens one's detail and counts them on the Overview."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bs_core import normalize as norm
from bs_core.entities import NAME_INDEX, NETWORK_NAME_INDEX, EntityType, Fact, register, simulated, unregister
from bs_core.settings import as_environment
from bs_core.simulator import Simulator, SimulatorServer
from bs_core.sync import run_sync
from bs_core.ui import format as fmt
from tests.conftest import mirror_settings
from tests.test_app import _Unreachable, clean_streamlit_state, no_exceptions  # noqa: F401 - a fixture

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = "**Opinion** <b>x</b> [link](http://evil.example)"
NAMES = ("Front", "Local", "Sport", "Obits", HOSTILE, "Weather")


def _sections_of(network_id: int, rng: random.Random) -> list[dict]:
    return [{"name": f"{name} {network_id}", "position": i, "opened_on": f"2026-0{i}-01"}
            for i, name in enumerate(NAMES[:rng.randint(4, len(NAMES))], 1)]


SECTIONS = EntityType(
    "sections", "section", "Sections",
    fetch=lambda client, network_id: client.listed("sections", network_id=network_id),
    normalizer=norm.named, parent="networks", parent_field="network_id",
    indexes=(NETWORK_NAME_INDEX, NAME_INDEX), sortable=("name_key", "position", "_id", "network_id"),
    page="pages/90_Sections.py", icon=":material/view_agenda:", has_detail=True, kpi=True,
    live_columns=("name_clean", "position", "network_id", "_id"),
    facts=(Fact("position", "Position"), Fact("opened_on", "Opened")),
    simulated=_sections_of,
)

pytestmark = pytest.mark.usefixtures("clean_streamlit_state")


@pytest.fixture
def declared():
    register(SECTIONS)
    try:
        yield SECTIONS
    finally:
        unregister("sections")


@pytest.fixture
def server(declared):
    sim = Simulator("tiny", seed=5, token="sections-token-789", records_limit=50, records_window=1.0,
                    recipes=simulated())
    with SimulatorServer(sim) as running:
        yield running


def upstream(server) -> dict[int, dict]:
    return server.sim.dataset.sections


def test_the_word_is_declared_only_in_this_test():
    found = [str(p.relative_to(ROOT)) for folder in ("bs_core", "pages") for p in (ROOT / folder).rglob("*.py")
             if "sections" in p.read_text().lower()]
    assert found == [] and not (ROOT / SECTIONS.page).exists()


def test_a_declared_kind_is_synced_and_what_vanished_upstream_is_deleted(db, server):
    settings = mirror_settings(server, db)
    run = run_sync(settings, db, "full")
    assert run["status"] == "success", run["errors"]
    assert run["counts"]["sections"]["inserted"] == len(upstream(server)) > 0
    assert "sections" in run["progress"]
    mirrored = {d["_id"]: d for d in db.sections.find()}
    assert set(mirrored) == set(upstream(server))
    some = next(iter(upstream(server).values()))
    assert mirrored[some["id"]]["network_id"] == some["_parent"] and mirrored[some["id"]]["position"] == some["position"]
    assert "network_name" in db.sections.index_information()

    gone = max(upstream(server))
    server.sim.mutate("delete", "sections", gone)
    server.sim.mutate("update", "sections", min(upstream(server)), {"position": 99})
    again = run_sync(settings, db, "entity:sections")
    assert again["status"] == "success", again["errors"]
    assert again["counts"]["sections"] | {"unchanged": 0} == {
        "inserted": 0, "updated": 1, "deleted": 1, "unchanged": 0, "skipped": 0}
    assert db.sections.find_one({"_id": gone}) is None
    assert db.sections.find_one({"_id": min(upstream(server))})["position"] == 99


@pytest.fixture
def app_dir(tmp_path):
    """The app as a user has it, plus the page file of the declared kind: two lines."""
    (tmp_path / "pages").mkdir()
    for script in ("streamlit_app.py", *(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py"))):
        shutil.copy(ROOT / script, tmp_path / script)  # copies: Streamlit resolves a link to its target
    (tmp_path / SECTIONS.page).write_text(
        'from bs_core.ui.declared import entity_page\n\nentity_page("sections")\n')
    return tmp_path


def app(app_dir: Path, settings) -> AppTest:
    at = AppTest.from_file(str(app_dir / "streamlit_app.py"), default_timeout=60)
    at.secrets.update(as_environment(settings))
    return at


def texts(at: AppTest) -> str:
    return " ".join(str(e.value) for kind in ("markdown", "caption", "text", "subheader") for e in getattr(at, kind))


def test_its_listing_detail_and_overview_count_come_from_the_declaration(db, server, app_dir):
    settings = mirror_settings(server, db)
    assert run_sync(settings, db, "full")["status"] == "success"
    at = app(app_dir, settings).run()
    no_exceptions(at)
    assert {m.label: m.value for m in at.metric}["Sections"] == str(len(upstream(server)))

    at.switch_page(SECTIONS.page).run()
    no_exceptions(at)
    table = at.dataframe[0].value
    assert list(table.columns) == ["Name", "Position", "Opened", "Network", "ID"]
    assert sorted(table["ID"]) == sorted(upstream(server))
    hostile = next(r for r in upstream(server).values() if r["name"].startswith("**"))
    assert table.loc[table["ID"] == hostile["id"], "Name"].iloc[0] == hostile["name"]  # as written

    at.query_params["open"] = f"section:{hostile['id']}"
    at.switch_page(SECTIONS.page).run()
    no_exceptions(at)
    assert at.subheader[0].value == fmt.plain(hostile["name"])
    shown = texts(at)
    assert "Position" in shown and str(hostile["position"]) in shown and "2026-0" in shown
    assert "<b>" not in " ".join(str(m.value) for m in at.markdown)  # a name is data, never HTML

    at.session_state["f_sections_search"] = "Front"
    at.run()
    assert set(at.dataframe[0].value["Name"].str.split().str[0]) == {"Front"}


def test_its_live_table_comes_from_the_declaration_while_the_database_is_down(server, app_dir):
    from bs_core.process import free_port

    settings = mirror_settings(server, _Unreachable()).replace(
        mongodb_uri=f"mongodb://127.0.0.1:{free_port()}/?serverSelectionTimeoutMS=300")
    at = app(app_dir, settings).run()
    at.switch_page(SECTIONS.page).run()
    no_exceptions(at)
    assert any("while the mirror database is unreachable" in w.value for w in at.warning)
    live = at.dataframe[0].value
    assert list(live.columns) == ["Name", "Position", "Network ID", "ID"]
    assert sorted(live["ID"]) == sorted(upstream(server))
