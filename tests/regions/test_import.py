"""The real list of Indonesian regions loads completely, quickly, and only once."""

from sqlalchemy import func, select

from lms.extensions import db
from lms.regions.models import Region
from lms.regions.operations import find_regions, get_region, import_regions


def test_all_regions_are_loaded_with_ministry_codes(app_context):
    counts = dict(db.session.execute(select(Region.level, func.count()).group_by(Region.level)).all())
    assert counts == {1: 38, 2: 514, 3: 7285, 4: 83762}
    assert get_region("16.72").name == "Kota Pagar Alam"
    village = get_region("16.72.01.1018")
    assert village.full_name == "Dempo Makmur, Pagar Alam Utara, Kota Pagar Alam, Sumatera Selatan"


def test_import_again_changes_nothing_and_is_quick(app_context):
    result = import_regions()
    assert result["inserted"] == 0 and result["renamed"] == 0
    assert result["seconds"] < 60


def test_search_by_name_finds_the_village_and_narrows_by_region(app_context):
    found = find_regions("dempo makmur")
    assert [r.code for r in found] == ["16.72.01.1018"]
    assert all(r.code.startswith("16.72.") for r in find_regions("dempo", within="16.72"))
    assert find_regions("%") == [] and find_regions("a") == []


def test_search_endpoint_answers_json(client):
    response = client.get("/wilayah/cari", query_string={"q": "Dempo Makmur"})
    assert response.json[0]["full_name"].startswith("Dempo Makmur, Pagar Alam Utara")
