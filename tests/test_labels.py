"""One label vocabulary: a folder name, a CSV manifest cell and an `hf:` column value mean the same."""
import pytest

from fakebench.data.folders import load_folder_dataset
from fakebench.data.imagesets import FAKE, REAL
from fakebench.data.labels import FAKE_NAMES, REAL_NAMES, label_of_name, parse_label
from tests.folder_layouts import write_image

NAMES = [(n, REAL) for n in sorted(REAL_NAMES)] + [(n, FAKE) for n in sorted(FAKE_NAMES)]


@pytest.mark.parametrize(("name", "label"), NAMES)
def test_every_name_is_the_same_label_in_a_folder_a_manifest_and_a_column(tmp_path, name, label):
    write_image(tmp_path / "folders" / name.upper() / "a.png", 1)
    ds = load_folder_dataset(tmp_path / "folders")
    assert [imageset.label for imageset in (ds.fakes | ds.reals).values()] == [label]

    write_image(tmp_path / "m" / "a.png", 2)
    (tmp_path / "m" / "list.csv").write_text(f"path,label,generator\na.png,{name.title()},gen\n")
    ds = load_folder_dataset(f"folder:{tmp_path / 'm' / 'list.csv'}")
    assert not ds.skipped and [s.label for s in (ds.fakes | ds.reals).values()] == [label]

    assert parse_label(name) == parse_label(f" {name.upper()} ") == label_of_name(name) == label


def test_values_also_read_0_1_and_booleans_but_a_folder_named_0_is_no_label(tmp_path):
    assert [parse_label(v) for v in (0, 1, "0", "1", False, True, "true", "FALSE")] == [REAL, FAKE] * 2 + \
        [REAL, FAKE, FAKE, REAL]
    assert label_of_name("0") is None and label_of_name("1") is None and label_of_name("generated") is None
    for bad in ("maybe", 2, "", "0_fake"):
        with pytest.raises(ValueError, match="neither 0/real nor 1/fake"):
            parse_label(bad)
