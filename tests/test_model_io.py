"""The saved model directory: save_model writes it, load_model opens it, labels survive."""

import json

import pytest

from data.schema import LABELS
from model.classifier import ModelError, load_model, save_model


def test_round_trip_keeps_labels_and_settings(tiny_model_dir):
    classifier = load_model(tiny_model_dir)
    assert classifier.labels == LABELS
    assert classifier.input_format == "text"
    assert classifier.max_length == 64
    assert classifier.name == "tiny"


def test_predictions_are_probabilities_over_every_label(tiny_model_dir):
    predictions = load_model(tiny_model_dir).predict(["there will be no talks", {"text": "we condemn the attack"}])
    assert len(predictions) == 2
    for prediction in predictions:
        assert set(prediction["scores"]) == set(LABELS)
        assert abs(sum(prediction["scores"].values()) - 1) < 1e-4
        assert prediction["score"] == max(prediction["scores"].values())
        assert prediction["label"] == max(prediction["scores"], key=prediction["scores"].get)


def test_predictions_do_not_depend_on_batching(tiny_model_dir):
    classifier = load_model(tiny_model_dir)
    texts = ["there will be no talks", "the ministers will meet on monday", "we will deepen our security partnership"]
    one_by_one = [classifier.predict([t])[0]["scores"] for t in texts]
    together = [p["scores"] for p in classifier.predict(texts, batch_size=2)]
    for a, b in zip(one_by_one, together):
        assert a == pytest.approx(b, abs=1e-4)


def test_batches_side_by_side_give_the_same_logits_in_input_order(tiny_model_dir):
    classifier = load_model(tiny_model_dir)
    texts = [" ".join(["talks"] * n) + " will resume" for n in (5, 1, 9, 3, 7, 2, 8)]
    alone = classifier.compute_logits(texts, batch_size=2)
    classifier.workers = 3
    side_by_side = classifier.compute_logits(texts, batch_size=2)
    assert side_by_side == pytest.approx(alone, abs=1e-5)
    assert len({tuple(row.round(5)) for row in side_by_side}) == len(texts)  # rows differ: order is checked


def test_missing_directory_names_the_path(tmp_path):
    with pytest.raises(ModelError, match="no-such-run"):
        load_model(tmp_path / "no-such-run")


def test_unknown_schema_version_is_refused(tiny_model_dir, tmp_path):
    classifier = load_model(tiny_model_dir)
    out = save_model(classifier.model, classifier.tokenizer, tmp_path / "future")
    info = json.loads((out / "metadata.json").read_text())
    info["schema_version"] = 99
    (out / "metadata.json").write_text(json.dumps(info))
    with pytest.raises(ModelError, match="schema_version 99"):
        load_model(out)


def test_save_refuses_to_overwrite_unless_asked(tiny_model_dir, tmp_path):
    classifier = load_model(tiny_model_dir)
    out = save_model(classifier.model, classifier.tokenizer, tmp_path / "run")
    with pytest.raises(FileExistsError):
        save_model(classifier.model, classifier.tokenizer, out, overwrite=False)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no staging folder left behind"


def test_metadata_records_provenance(tiny_model_dir):
    info = json.loads((tiny_model_dir / "metadata.json").read_text())
    assert info["schema_version"] == 1
    assert info["packages"]["torch"]
    assert "created_at" in info and "git_commit" in info


def test_quantized_model_still_predicts(tiny_model_dir):
    classifier = load_model(tiny_model_dir).quantize()
    prediction = classifier.predict(["there will be no talks"])[0]
    assert prediction["label"] in LABELS
