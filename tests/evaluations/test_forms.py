"""Evaluation form definitions, the catalogue of their versions and answer checks."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from services.evaluations.forms import (
    SHIPPED_FORMS,
    FormAnswerError,
    FormDefinition,
    FormDefinitionError,
    InternshipType,
    Language,
    Question,
    UnknownFormError,
    load_catalogue,
    validate_answers,
)

CATALOGUE = load_catalogue(SHIPPED_FORMS)
COMPANY = CATALOGUE.get("company_evaluation", 1)
SHORT = CATALOGUE.get("self_evaluation_short", 1)
CHOICE = {"value": "yes", "label": {"fr": "Oui", "en": "Yes"}}

VALID_COMPANY_ANSWERS: dict[str, object] = {
    "punctuality": 5,
    "autonomy": "4",
    "teamwork": 4,
    "quality_of_work": 3,
    "communication": 4,
    "overall_appreciation": "very_good",
    "comments": "  Très bon stage.\r\nÀ recommander.  ",
    "would_host_again": True,
    "recommended_grade": 16,
    "final_review_date": "2027-06-30",
}


def question(question_id: str, question_type: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": question_id,
        "type": question_type,
        "label": {"fr": f"Question {question_id}", "en": f"Question {question_id}"},
        "required": True,
        **fields,
    }


def definition(
    form_id: str = "company_evaluation",
    version: int = 2,
    questions: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    return {
        "id": form_id,
        "version": version,
        "kind": "company_evaluation",
        "title": {"fr": "Évaluation", "en": "Evaluation"},
        "questions": questions or [question("punctuality", "rating")],
        **fields,
    }


def write_form(folder: Path, data: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{data['id']}.v{data['version']}.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def answer_error(form: FormDefinition, answers: dict[str, object]) -> FormAnswerError:
    with pytest.raises(FormAnswerError) as caught:
        validate_answers(form, answers, draft=True)
    return caught.value


# Shipped catalogue


def test_shipped_catalogue_has_four_forms() -> None:
    ids = [(form.id, form.version) for form in CATALOGUE.forms()]
    assert ids == [
        ("company_evaluation", 1),
        ("self_evaluation_long", 1),
        ("self_evaluation_short", 1),
        ("synthesis", 1),
    ]


@pytest.mark.parametrize("form", CATALOGUE.forms(), ids=lambda form: form.id)
def test_shipped_form_texts_in_both_languages(form: FormDefinition) -> None:
    texts = [form.title]
    for item in form.questions:
        texts.append(item.label)
        if item.help is not None:
            texts.append(item.help)
        texts.extend(choice.label for choice in item.choices)
    for text in texts:
        assert set(text) == {"fr", "en"}
        assert text["fr"].strip()
        assert text["en"].strip()


@pytest.mark.parametrize("form", CATALOGUE.forms(), ids=lambda form: form.id)
def test_shipped_form_has_required_question(form: FormDefinition) -> None:
    assert any(item.required for item in form.questions)


def test_latest_picks_short_self_evaluation() -> None:
    form = CATALOGUE.latest("self_evaluation", "short")
    assert form.id == "self_evaluation_short"


def test_latest_picks_long_self_evaluation() -> None:
    form = CATALOGUE.latest("self_evaluation", "long")
    assert form.id == "self_evaluation_long"


@pytest.mark.parametrize("internship_type", ["short", "long"])
def test_latest_synthesis_applies_to_any_type(internship_type: InternshipType) -> None:
    form = CATALOGUE.latest("synthesis", internship_type)
    assert form.id == "synthesis"


def test_text_questions_get_default_lengths() -> None:
    synthesis = CATALOGUE.get("synthesis", 1)
    lengths = {item.max_length for item in synthesis.questions if item.max_length}
    assert lengths == {5000}


def test_text_question_defaults_to_200() -> None:
    label: dict[Language, str] = {"fr": "Remarque", "en": "Remark"}
    item = Question(id="remark", type="text", label=label, required=False)
    assert item.max_length == 200


def test_rating_scale_defaults_to_one_to_five() -> None:
    label: dict[Language, str] = {"fr": "Note", "en": "Rating"}
    item = Question(id="rating", type="rating", label=label, required=False)
    assert item.scale == (1, 5)


def test_readme_example_loads(tmp_path: Path) -> None:
    readme = (SHIPPED_FORMS / "README.md").read_text(encoding="utf-8")
    match = re.search(r"```json\n(.*?)```", readme, re.DOTALL)
    assert match is not None
    write_form(tmp_path, json.loads(match.group(1)))
    catalogue = load_catalogue(SHIPPED_FORMS, tmp_path)
    latest = catalogue.latest("company_evaluation", "long")
    assert latest.id == "company_evaluation_engineering"


# Versions across folders


def test_higher_version_in_school_folder_wins(tmp_path: Path) -> None:
    write_form(tmp_path, definition(version=2))
    catalogue = load_catalogue(SHIPPED_FORMS, tmp_path)
    assert catalogue.latest("company_evaluation", "short").version == 2


def test_old_version_still_reachable(tmp_path: Path) -> None:
    write_form(tmp_path, definition(version=2))
    catalogue = load_catalogue(SHIPPED_FORMS, tmp_path)
    assert catalogue.get("company_evaluation", 1) == COMPANY


def test_lower_version_does_not_win(tmp_path: Path) -> None:
    write_form(tmp_path / "shipped", definition(version=3))
    write_form(tmp_path / "school", definition(version=2))
    catalogue = load_catalogue(tmp_path / "shipped", tmp_path / "school")
    assert catalogue.latest("company_evaluation", "long").version == 3
    assert catalogue.versions("company_evaluation") == [2, 3]


def test_changed_published_version_rejected(tmp_path: Path) -> None:
    path = write_form(tmp_path, definition(version=1))
    with pytest.raises(FormDefinitionError) as caught:
        load_catalogue(SHIPPED_FORMS, tmp_path)
    assert str(path) in str(caught.value)
    assert "higher version" in str(caught.value)


def test_identical_copy_of_version_accepted(tmp_path: Path) -> None:
    copy = tmp_path / "company_evaluation.v1.json"
    copy.write_bytes((SHIPPED_FORMS / copy.name).read_bytes())
    catalogue = load_catalogue(SHIPPED_FORMS, tmp_path)
    assert catalogue.versions("company_evaluation") == [1]


def test_school_form_with_new_id_wins(tmp_path: Path) -> None:
    write_form(tmp_path, definition("school_company_evaluation", version=1))
    catalogue = load_catalogue(SHIPPED_FORMS, tmp_path)
    form = catalogue.latest("company_evaluation", "short")
    assert form.id == "school_company_evaluation"


def test_exact_type_wins_within_folder(tmp_path: Path) -> None:
    write_form(tmp_path, definition("generic", version=1))
    write_form(tmp_path, definition("long_only", version=1, internship_type="long"))
    catalogue = load_catalogue(tmp_path)
    assert catalogue.latest("company_evaluation", "long").id == "long_only"
    assert catalogue.latest("company_evaluation", "short").id == "generic"


def test_two_forms_for_same_target_rejected(tmp_path: Path) -> None:
    write_form(tmp_path, definition("first", version=1))
    write_form(tmp_path, definition("second", version=1))
    with pytest.raises(FormDefinitionError, match="same folder"):
        load_catalogue(tmp_path)


def test_version_changing_kind_rejected(tmp_path: Path) -> None:
    write_form(tmp_path, definition(version=2, kind="synthesis"))
    with pytest.raises(FormDefinitionError, match="All versions of a form"):
        load_catalogue(SHIPPED_FORMS, tmp_path)


def test_unknown_version_raises_unknown_form() -> None:
    with pytest.raises(UnknownFormError, match="Known versions: 1"):
        CATALOGUE.get("company_evaluation", 7)


def test_unknown_id_raises_unknown_form() -> None:
    with pytest.raises(UnknownFormError, match="no_such_form"):
        CATALOGUE.get("no_such_form", 1)


def test_unknown_form_error_is_not_key_error() -> None:
    assert not issubclass(UnknownFormError, KeyError)


def test_latest_without_match_raises(tmp_path: Path) -> None:
    write_form(tmp_path, definition(version=1))
    with pytest.raises(UnknownFormError, match="synthesis"):
        load_catalogue(tmp_path).latest("synthesis", "short")


def test_missing_folder_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="missing"):
        load_catalogue(SHIPPED_FORMS, tmp_path / "missing")


def test_catalogue_needs_a_folder() -> None:
    with pytest.raises(ValueError, match="at least one folder"):
        load_catalogue()


# Bad definition files


def rejection(tmp_path: Path, data: dict[str, Any]) -> tuple[Path, str]:
    path = write_form(tmp_path, data)
    with pytest.raises(FormDefinitionError) as caught:
        load_catalogue(tmp_path)
    return path, str(caught.value)


def test_duplicate_question_id_rejected(tmp_path: Path) -> None:
    questions = [question("autonomy", "rating"), question("autonomy", "yes_no")]
    path, message = rejection(tmp_path, definition(questions=questions))
    assert path.name in message
    assert '"autonomy" is used more than once' in message


def test_choice_without_choices_rejected(tmp_path: Path) -> None:
    questions = [question("appreciation", "choice")]
    path, message = rejection(tmp_path, definition(questions=questions))
    assert path.name in message
    assert 'question "appreciation"' in message
    assert "at least two" in message


def test_missing_english_label_rejected(tmp_path: Path) -> None:
    bad = question("comments", "long_text", label={"fr": "Commentaires"})
    questions = [question("autonomy", "rating"), bad]
    path, message = rejection(tmp_path, definition(questions=questions))
    assert path.name in message
    assert 'form "company_evaluation"' in message
    assert 'question "comments"' in message
    assert "English" in message


@pytest.mark.parametrize(
    ("bad_question", "expected"),
    [
        (question("Bad-Id", "text"), "snake_case"),
        (question("grade", "rating", choices=[CHOICE, CHOICE]), "choices apply only"),
        (question("grade", "rating", scale=[5, 1]), "scale [5, 1] is empty"),
        (question("note", "text", scale=[1, 5]), "scale applies only"),
        (question("when", "date", max_length=10), "max_length applies only"),
        (question("note", "text", max_length=0), "greater than or equal to 1"),
        (question("note", "text", required="yes"), "valid boolean"),
        (question("note", "txt"), "'text'"),
        (question("note", "text", colour="red"), "colour"),
        ({**question("note", "text"), "required": None}, "required"),
    ],
)
def test_invalid_question_rejected(
    tmp_path: Path, bad_question: dict[str, Any], expected: str
) -> None:
    _, message = rejection(tmp_path, definition(questions=[bad_question]))
    assert expected in message


def test_missing_required_flag_rejected(tmp_path: Path) -> None:
    bad = question("note", "text")
    del bad["required"]
    _, message = rejection(tmp_path, definition(questions=[bad]))
    assert 'question "note", field required: Field required' in message


def test_duplicate_choice_value_rejected(tmp_path: Path) -> None:
    labels = {"fr": "Oui", "en": "Yes"}
    choices = [{"value": "yes", "label": labels}, {"value": "yes", "label": labels}]
    bad = question("pick", "choice", choices=choices)
    _, message = rejection(tmp_path, definition(questions=[bad]))
    assert '"yes" appears more than once' in message


def test_file_name_must_match_content(tmp_path: Path) -> None:
    path = tmp_path / "company_evaluation.v3.json"
    path.write_text(json.dumps(definition(version=2)), encoding="utf-8")
    with pytest.raises(FormDefinitionError, match=r"company_evaluation\.v2\.json"):
        load_catalogue(tmp_path)


def test_bad_file_name_rejected(tmp_path: Path) -> None:
    (tmp_path / "company_evaluation.json").write_text("{}", encoding="utf-8")
    with pytest.raises(FormDefinitionError, match=re.escape("<id>.v<version>.json")):
        load_catalogue(tmp_path)


def test_invalid_json_names_line(tmp_path: Path) -> None:
    (tmp_path / "synthesis.v2.json").write_text('{\n  "id": ,\n}', encoding="utf-8")
    with pytest.raises(FormDefinitionError, match="line 2"):
        load_catalogue(tmp_path)


def test_duplicate_json_key_rejected(tmp_path: Path) -> None:
    text = '{"id": "synthesis", "id": "other"}'
    (tmp_path / "synthesis.v2.json").write_text(text, encoding="utf-8")
    with pytest.raises(FormDefinitionError, match='"id" appears twice'):
        load_catalogue(tmp_path)


def test_non_utf8_file_rejected(tmp_path: Path) -> None:
    (tmp_path / "synthesis.v2.json").write_bytes(b'{"id": "\xe9"}')
    with pytest.raises(FormDefinitionError, match="UTF-8"):
        load_catalogue(tmp_path)


# Answers


def test_full_answer_set_passes() -> None:
    cleaned = validate_answers(COMPANY, VALID_COMPANY_ANSWERS, draft=False)
    assert set(cleaned) == set(VALID_COMPANY_ANSWERS)


def test_answers_are_cleaned() -> None:
    cleaned = validate_answers(COMPANY, VALID_COMPANY_ANSWERS, draft=False)
    assert cleaned["autonomy"] == 4
    assert cleaned["comments"] == "Très bon stage.\nÀ recommander."
    assert cleaned["would_host_again"] is True
    assert cleaned["final_review_date"] == "2027-06-30"


def test_multiple_choice_follows_form_order() -> None:
    answers = {"skills_used": ["teamwork", " technical "]}
    cleaned = validate_answers(SHORT, answers, draft=True)
    assert cleaned["skills_used"] == ["technical", "teamwork"]


def test_yes_no_accepts_words() -> None:
    cleaned = validate_answers(SHORT, {"recommend_host": " No "}, draft=True)
    assert cleaned["recommend_host"] is False


def test_blank_answers_are_left_out() -> None:
    answers: dict[str, object] = {"main_lesson": "   ", "skills_used": []}
    assert validate_answers(SHORT, answers, draft=True) == {}


def test_draft_may_miss_required_answers() -> None:
    answers = {"punctuality": 4}
    assert validate_answers(COMPANY, answers, draft=True) == {"punctuality": 4}


def test_final_submission_needs_required_answers() -> None:
    answers = {k: v for k, v in VALID_COMPANY_ANSWERS.items() if k != "teamwork"}
    with pytest.raises(FormAnswerError) as caught:
        validate_answers(COMPANY, answers, draft=False)
    assert caught.value.question == "teamwork"
    assert '"teamwork" ("Travail en équipe") is missing' in caught.value.message


def test_final_submission_rejects_blank_required_text() -> None:
    with pytest.raises(FormAnswerError) as caught:
        validate_answers(SHORT, {"main_lesson": " "}, draft=False)
    assert caught.value.question == "tasks_performed"


def test_false_counts_as_an_answer() -> None:
    answers = {**VALID_COMPANY_ANSWERS, "would_host_again": False}
    cleaned = validate_answers(COMPANY, answers, draft=False)
    assert cleaned["would_host_again"] is False


def test_optional_answers_may_be_missing() -> None:
    optional = {"comments", "recommended_grade", "final_review_date"}
    answers = {k: v for k, v in VALID_COMPANY_ANSWERS.items() if k not in optional}
    cleaned = validate_answers(COMPANY, answers, draft=False)
    assert set(cleaned) == set(answers)


@pytest.mark.parametrize(
    ("question_id", "value", "expected"),
    [
        ("overall_appreciation", "brilliant", "not an offered choice"),
        ("overall_appreciation", ["good"], "is a list"),
        ("punctuality", 6, "off the scale. Give a whole number from 1 to 5"),
        ("punctuality", 0, "off the scale"),
        ("punctuality", 3.5, "is a number. Send a whole number"),
        ("punctuality", True, "true/false"),
        ("punctuality", "four", "is text"),
        ("recommended_grade", 21, "from 0 to 20"),
        ("comments", "x" * 5001, "has 5001 characters, over the limit of 5000"),
        ("comments", 42, "is a number. Send text as a string"),
        ("comments", "bell\a", "control character U+0007"),
        ("comments", "nul\x00", "control character U+0000"),
        ("would_host_again", "maybe", "is text"),
        ("would_host_again", 1, "is a number"),
        ("final_review_date", "2027-02-30", "not a valid date"),
        ("final_review_date", "30/06/2027", "YYYY-MM-DD"),
        ("final_review_date", 20270630, "is a number"),
    ],
)
def test_invalid_company_answer_rejected(
    question_id: str, value: object, expected: str
) -> None:
    error = answer_error(COMPANY, {question_id: value})
    assert error.question == question_id
    assert f'"{question_id}" ("' in error.message
    assert expected in error.message


def test_choice_not_offered_lists_choices() -> None:
    error = answer_error(COMPANY, {"overall_appreciation": "brilliant"})
    assert "excellent, very_good, good, fair, poor" in error.message


def test_multiple_choice_not_offered_rejected() -> None:
    error = answer_error(SHORT, {"skills_used": ["teamwork", "juggling"]})
    assert error.question == "skills_used"
    assert '"juggling"' in error.message


def test_multiple_choice_repeat_rejected() -> None:
    error = answer_error(SHORT, {"skills_used": ["teamwork", "teamwork"]})
    assert "twice" in error.message


def test_text_over_limit_rejected() -> None:
    error = answer_error(SHORT, {"main_lesson": "x" * 301})
    assert error.question == "main_lesson"
    assert "over the limit of 300" in error.message


def test_line_break_in_short_text_rejected() -> None:
    error = answer_error(SHORT, {"main_lesson": "one\ntwo"})
    assert error.question == "main_lesson"
    assert "line break" in error.message


def test_unknown_question_rejected() -> None:
    error = answer_error(SHORT, {"main_lesson": "Oui", "favourite_colour": "red"})
    assert error.question == "favourite_colour"
    assert "matches no question" in error.message


def test_number_for_text_question_rejected() -> None:
    error = answer_error(SHORT, {"main_lesson": 12})
    assert error.question == "main_lesson"
    assert "Send text as a string" in error.message


def test_answer_error_is_value_error() -> None:
    error = answer_error(SHORT, {"main_lesson": 12})
    assert isinstance(error, ValueError)
    assert str(error) == error.message
