"""Evaluation forms as versioned data, and the validation of their answers.

A form definition is a JSON file named ``<id>.v<version>.json``. The shipped forms
live in ``SHIPPED_FORMS`` and a school adds its own in another folder. A mission
stores the id and version of the form it was given, and a published version never
changes, so a new version leaves the forms already handed out as they were.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

SHIPPED_FORMS = Path(__file__).with_name("forms")

Language = Literal["fr", "en"]
QuestionType = Literal[
    "text", "long_text", "choice", "multiple_choice", "rating", "yes_no", "date"
]
FormKind = Literal["self_evaluation", "synthesis", "company_evaluation"]
InternshipType = Literal["short", "long"]

LANGUAGES: tuple[Language, ...] = ("fr", "en")
LANGUAGE_NAMES: dict[Language, str] = {"fr": "French", "en": "English"}
DEFAULT_MAX_LENGTHS: dict[str, int] = {"text": 200, "long_text": 5000}
CHOICE_TYPES = frozenset({"choice", "multiple_choice"})
DEFAULT_SCALE = (1, 5)

SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
CHOICE_VALUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
FILE_NAME = re.compile(r"(?P<id>[^.]+)\.v(?P<version>[1-9][0-9]*)\.json")
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,9}", re.ASCII)
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
LINE_BREAKS = ("\r\n", "\r", "\u2028", "\u2029")


class FormDefinitionError(ValueError):
    """Invalid or conflicting form definition file, with each problem found in it."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "\n  ".join(problems))


class UnknownFormError(LookupError):
    """No form in the catalogue has the requested id, version, kind or type."""


class FormAnswerError(ValueError):
    """Invalid answer to one question, or an answer to no question of the form."""

    def __init__(self, question: str, message: str) -> None:
        super().__init__(message)
        self.question = question
        self.message = message


def _require_both_languages(text: dict[Language, str]) -> dict[Language, str]:
    for language in LANGUAGES:
        if not text.get(language, "").strip():
            raise ValueError(
                f'the {LANGUAGE_NAMES[language]} text ("{language}") is missing '
                "or empty. Give the text in both French and English"
            )
    return text


Translations = Annotated[dict[Language, str], AfterValidator(_require_both_languages)]


def _require_snake_case(value: str) -> str:
    if not SNAKE_CASE.fullmatch(value):
        raise ValueError(
            f'"{value}" is not a valid id. Use snake_case: lowercase letters, '
            "digits and single underscores, starting with a letter"
        )
    return value


class Choice(BaseModel):
    """One option of a choice or multiple_choice question."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    value: str = Field(description="Value stored in the answers.")
    label: Translations

    @field_validator("value")
    @classmethod
    def _check_value(cls, value: str) -> str:
        if not CHOICE_VALUE.fullmatch(value):
            raise ValueError(
                f'"{value}" is not a valid choice value. Use letters, digits, '
                '"_", "-" or ".", starting with a letter or a digit'
            )
        return value


class Question(BaseModel):
    """One question of a form, with the constraints its answer must meet."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    id: Annotated[str, AfterValidator(_require_snake_case)]
    type: QuestionType
    label: Translations
    help: Translations | None = None
    required: bool = Field(description="Whether a final submission must answer it.")
    max_length: int | None = Field(
        None, ge=1, description="Maximum length of a text answer, in characters."
    )
    choices: list[Choice] = []
    scale: Annotated[tuple[int, int], Strict(False)] | None = Field(
        None, description="Lowest and highest rating, both allowed."
    )

    @model_validator(mode="before")
    @classmethod
    def _fill_type_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        defaults: dict[str, object] = {}
        question_type = data.get("type")
        if question_type in DEFAULT_MAX_LENGTHS:
            defaults["max_length"] = DEFAULT_MAX_LENGTHS[question_type]
        if question_type == "rating":
            defaults["scale"] = DEFAULT_SCALE
        return {**defaults, **data}

    @model_validator(mode="after")
    def _check_type_fields(self) -> Self:
        _check_max_length(self)
        _check_choices(self)
        _check_scale(self)
        return self


def _check_max_length(question: Question) -> None:
    is_text = question.type in DEFAULT_MAX_LENGTHS
    if is_text and question.max_length is None:
        raise ValueError(f"a {question.type} question needs a max_length")
    if not is_text and question.max_length is not None:
        raise ValueError(
            "max_length applies only to text and long_text questions, "
            f"not to {question.type}. Remove it"
        )


def _check_choices(question: Question) -> None:
    if question.type not in CHOICE_TYPES:
        if question.choices:
            raise ValueError(
                "choices apply only to choice and multiple_choice questions, "
                f"not to {question.type}. Remove them or change the type"
            )
        return
    if len(question.choices) < 2:
        raise ValueError(
            f'a {question.type} question needs at least two entries in "choices"'
        )
    values = [choice.value for choice in question.choices]
    for value in values:
        if values.count(value) > 1:
            raise ValueError(f'the choice value "{value}" appears more than once')


def _check_scale(question: Question) -> None:
    if question.type != "rating":
        if question.scale is not None:
            raise ValueError(
                f"scale applies only to rating questions, not to {question.type}. "
                "Remove it"
            )
        return
    if question.scale is None:
        raise ValueError("a rating question needs a scale [lowest, highest]")
    lowest, highest = question.scale
    if lowest >= highest:
        raise ValueError(
            f"the scale [{lowest}, {highest}] is empty. "
            "Give the lowest rating first, below the highest"
        )


class FormDefinition(BaseModel):
    """One version of a form: its kind, where it applies and its questions."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    id: Annotated[str, AfterValidator(_require_snake_case)]
    version: int = Field(ge=1)
    kind: FormKind
    internship_type: InternshipType | None = Field(
        None, description="Internship type the form is for, or None for any type."
    )
    title: Translations
    questions: list[Question] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_unique_question_ids(self) -> Self:
        ids = [question.id for question in self.questions]
        for question_id in ids:
            if ids.count(question_id) > 1:
                raise ValueError(
                    f'the question id "{question_id}" is used more than once. '
                    "Give each question its own id"
                )
        return self

    def find_question(self, question_id: str) -> Question | None:
        for question in self.questions:
            if question.id == question_id:
                return question
        return None


# Loading definition files


class _DuplicateKeyError(ValueError):
    pass


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(f'the key "{key}" appears twice in one object')
        result[key] = value
    return result


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise FormDefinitionError(
            path,
            [f"the file is not valid UTF-8 (byte {error.start}). Save it as UTF-8"],
        ) from None
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicate_keys)
    except json.JSONDecodeError as error:
        problem = f"invalid JSON at line {error.lineno}, column {error.colno}: "
        raise FormDefinitionError(path, [problem + error.msg]) from None
    except _DuplicateKeyError as error:
        raise FormDefinitionError(path, [f"invalid JSON: {error}"]) from None


def _question_name(data: Any, index: int) -> str:
    """Name the question at this index by its id, or by its position without one."""
    try:
        question_id = data["questions"][index]["id"]
    except (KeyError, IndexError, TypeError):
        question_id = None
    if isinstance(question_id, str):
        return f'question "{question_id}"'
    return f"question #{index + 1}"


def _describe_problem(data: Any, error: ErrorDetails) -> str:
    location: list[str] = []
    form_id = data.get("id") if isinstance(data, dict) else None
    if isinstance(form_id, str):
        location.append(f'form "{form_id}"')
    path = list(error["loc"])
    if len(path) >= 2 and path[0] == "questions" and isinstance(path[1], int):
        location.append(_question_name(data, path[1]))
        path = path[2:]
    if path:
        location.append("field " + ".".join(str(part) for part in path))
    message = str(error["msg"]).removeprefix("Value error, ")
    return ", ".join(location) + ": " + message if location else message


def load_definition(path: Path) -> FormDefinition:
    """Read and validate one definition file named ``<id>.v<version>.json``.

    Raises FormDefinitionError naming the file, the form, the question and the field
    of each problem, or a file name that does not match the form's id and version.
    Checks across fields, such as choices against the type, run only once every
    field of that question or form is valid.
    """
    name = FILE_NAME.fullmatch(path.name)
    if name is None:
        raise FormDefinitionError(
            path,
            ["the file name must be <id>.v<version>.json, as in synthesis.v2.json"],
        )
    data = _read_json(path)
    try:
        form = FormDefinition.model_validate(data)
    except ValidationError as error:
        problems = [_describe_problem(data, item) for item in error.errors()]
        raise FormDefinitionError(path, problems) from None
    if (form.id, form.version) != (name["id"], int(name["version"])):
        raise FormDefinitionError(
            path,
            [
                f'the file contains form "{form.id}" version {form.version}. '
                f"Name the file {form.id}.v{form.version}.json"
            ],
        )
    return form


# Catalogue


@dataclass(frozen=True)
class _Entry:
    form: FormDefinition
    path: Path
    folder_rank: int


class FormCatalogue:
    """Every version of every form found in the folders given to load_catalogue.

    ``latest`` picks the form for a new mission. Among the forms of the requested
    kind whose internship type is the requested one or None (any type), it takes
    the highest version of each form id, then prefers:

    1. a form from a later folder over one from an earlier folder, ranking each
       form id by the folder of its highest version;
    2. within one folder, a form for the exact internship type over one for any
       type.

    So a school's file with a shipped form's id replaces that form only when its
    version is higher. A lower version is only added, and the same version with
    other content is rejected because published versions never change. A school's
    form with a new id replaces the shipped form of the same kind. ``get`` still
    returns every version, so missions keep the version they were given.
    """

    def __init__(self) -> None:
        self._entries: dict[tuple[str, int], _Entry] = {}

    def forms(self) -> list[FormDefinition]:
        """Return every version of every form, sorted by id, then version."""
        return [self._entries[key].form for key in sorted(self._entries)]

    def versions(self, form_id: str) -> list[int]:
        return sorted(version for key, version in self._entries if key == form_id)

    def get(self, form_id: str, version: int) -> FormDefinition:
        """Return one version of a form, or raise UnknownFormError."""
        entry = self._entries.get((form_id, version))
        if entry is not None:
            return entry.form
        known = ", ".join(str(number) for number in self.versions(form_id))
        detail = f"Known versions: {known}." if known else "No form has this id."
        raise UnknownFormError(
            f'form "{form_id}" version {version} not found. {detail}'
        )

    def latest(self, kind: FormKind, internship_type: InternshipType) -> FormDefinition:
        """Return the form for a new mission, as the class documentation describes.

        Raises UnknownFormError when no form matches the kind and internship type.
        """
        candidates = [
            entry
            for entry in self._latest_entries()
            if entry.form.kind == kind
            and entry.form.internship_type in (internship_type, None)
        ]
        if not candidates:
            raise UnknownFormError(
                f'no form of kind "{kind}" applies to {internship_type} internships. '
                "Add a definition file for it"
            )
        best = max(
            candidates,
            key=lambda entry: (
                entry.folder_rank,
                entry.form.internship_type == internship_type,
            ),
        )
        return best.form

    def _latest_entries(self) -> list[_Entry]:
        latest: dict[str, _Entry] = {}
        for entry in self._entries.values():
            current = latest.get(entry.form.id)
            if current is None or entry.form.version > current.form.version:
                latest[entry.form.id] = entry
        return list(latest.values())

    def _add(self, entry: _Entry) -> None:
        form = entry.form
        existing = self._entries.get((form.id, form.version))
        if existing is not None:
            _check_same_content(existing, entry)
            return
        for other in self._entries.values():
            _check_consistent_versions(other, entry)
        if form.version > max(self.versions(form.id), default=0):
            for other in self._latest_entries():
                if other.form.id != form.id:
                    _check_unambiguous(other, entry)
        self._entries[(form.id, form.version)] = entry


def _check_same_content(existing: _Entry, entry: _Entry) -> None:
    """Allow an identical copy of a published version and reject any change."""
    if existing.form == entry.form:
        return
    form = entry.form
    raise FormDefinitionError(
        entry.path,
        [
            f'form "{form.id}" version {form.version} is already defined in '
            f"{existing.path} with other content, and a published version never "
            "changes. Give your form a higher version"
        ],
    )


def _check_consistent_versions(other: _Entry, entry: _Entry) -> None:
    form = entry.form
    if other.form.id != form.id:
        return
    if (other.form.kind, other.form.internship_type) == (
        form.kind,
        form.internship_type,
    ):
        return
    raise FormDefinitionError(
        entry.path,
        [
            f'form "{form.id}" version {form.version} has kind {form.kind} and '
            f"internship type {form.internship_type}, but version "
            f"{other.form.version} in {other.path} has kind {other.form.kind} and "
            f"internship type {other.form.internship_type}. All versions of a form "
            "share both, so give a different form a new id"
        ],
    )


def _check_unambiguous(other: _Entry, entry: _Entry) -> None:
    """Reject two current forms that latest() could not choose between."""
    same_target = (other.form.kind, other.form.internship_type) == (
        entry.form.kind,
        entry.form.internship_type,
    )
    if not same_target or other.folder_rank != entry.folder_rank:
        return
    raise FormDefinitionError(
        entry.path,
        [
            f'forms "{other.form.id}" ({other.path.name}) and "{entry.form.id}" '
            f"are both the {entry.form.kind} form for internship type "
            f"{entry.form.internship_type} in the same folder. Keep only one of "
            "them, or give a new version of the first one"
        ],
    )


def _definition_files(folder: Path) -> Iterable[Path]:
    if not folder.is_dir():
        raise FileNotFoundError(f"form folder not found: {folder}")
    return sorted(folder.glob("*.json"))


def load_catalogue(*folders: Path) -> FormCatalogue:
    """Load every ``*.json`` definition file of the folders, in the order given.

    Pass ``SHIPPED_FORMS`` first and a school's own folder after it. Raises
    FormDefinitionError on the first invalid or conflicting file, and
    FileNotFoundError for a missing folder.
    """
    if not folders:
        raise ValueError(
            "load_catalogue needs at least one folder, such as SHIPPED_FORMS"
        )
    catalogue = FormCatalogue()
    for rank, folder in enumerate(folders):
        for path in _definition_files(folder):
            catalogue._add(_Entry(load_definition(path), path, rank))
    return catalogue


# Answers


def _subject(question: Question) -> str:
    return f'The answer to question "{question.id}" ("{question.label["fr"]}")'


def _answer_error(question: Question, problem: str, fix: str) -> FormAnswerError:
    return FormAnswerError(question.id, f"{_subject(question)} {problem}. {fix}.")


def _kind_of_value(value: object) -> str:
    if isinstance(value, bool):
        return "a true/false value"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a value of type {type(value).__name__}"


def _wrong_type(question: Question, value: object, expected: str) -> FormAnswerError:
    return _answer_error(
        question, f"is {_kind_of_value(value)}", f"Send {expected} instead"
    )


def _check_characters(question: Question, text: str) -> None:
    for character in text:
        if character == "\n" and question.type == "long_text":
            continue
        if character == "\n" or character in LINE_BREAKS:
            raise _answer_error(
                question, "contains a line break", "Write the answer on one line"
            )
        if unicodedata.category(character) in ("Cc", "Cs"):
            raise _answer_error(
                question,
                f"contains the control character U+{ord(character):04X}",
                "Remove it",
            )


def _clean_text(question: Question, value: object) -> str | None:
    if not isinstance(value, str):
        raise _wrong_type(question, value, "text as a string")
    text = value
    if question.type == "long_text":
        for line_break in LINE_BREAKS:
            text = text.replace(line_break, "\n")
    text = text.strip()
    if not text:
        return None
    _check_characters(question, text)
    limit = question.max_length or DEFAULT_MAX_LENGTHS[question.type]
    if len(text) > limit:
        raise _answer_error(
            question,
            f"has {len(text)} characters, over the limit of {limit}",
            "Shorten it",
        )
    return text


def _offered_values(question: Question) -> list[str]:
    return [choice.value for choice in question.choices]


def _check_offered(question: Question, value: str) -> None:
    offered = _offered_values(question)
    if value not in offered:
        raise _answer_error(
            question,
            f'is "{value}", which is not an offered choice',
            "Choose one of: " + ", ".join(offered),
        )


def _clean_choice(question: Question, value: object) -> str | None:
    if not isinstance(value, str):
        raise _wrong_type(question, value, "one choice value as a string")
    choice = value.strip()
    if not choice:
        return None
    _check_offered(question, choice)
    return choice


def _clean_multiple_choice(question: Question, value: object) -> list[str] | None:
    if not isinstance(value, list | tuple) or not all(
        isinstance(item, str) for item in value
    ):
        raise _wrong_type(question, value, "a list of choice values as strings")
    selected = [item.strip() for item in value]
    if not selected:
        return None
    for choice in selected:
        _check_offered(question, choice)
        if selected.count(choice) > 1:
            raise _answer_error(
                question, f'selects "{choice}" twice', "Select each choice once"
            )
    return [choice for choice in _offered_values(question) if choice in selected]


def _rating_number(question: Question, value: object) -> int | None:
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
        if WHOLE_NUMBER.fullmatch(value):
            return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise _wrong_type(question, value, "a whole number")


def _clean_rating(question: Question, value: object) -> int | None:
    rating = _rating_number(question, value)
    if rating is None:
        return None
    lowest, highest = question.scale or DEFAULT_SCALE
    if not lowest <= rating <= highest:
        raise _answer_error(
            question,
            f"is {rating}, which is off the scale",
            f"Give a whole number from {lowest} to {highest}",
        )
    return rating


def _clean_yes_no(question: Question, value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if not word:
            return None
        if word in ("yes", "no"):
            return word == "yes"
    raise _wrong_type(question, value, 'true or false, or "yes" or "no"')


def _clean_date(question: Question, value: object) -> str | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if not isinstance(value, str):
        raise _wrong_type(question, value, "a date as YYYY-MM-DD")
    text = value.strip()
    if not text:
        return None
    try:
        if not ISO_DATE.fullmatch(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise _answer_error(
            question,
            f'is "{text}", which is not a valid date',
            "Write it as YYYY-MM-DD",
        ) from None


_CLEANERS: dict[str, Callable[[Question, object], object | None]] = {
    "text": _clean_text,
    "long_text": _clean_text,
    "choice": _clean_choice,
    "multiple_choice": _clean_multiple_choice,
    "rating": _clean_rating,
    "yes_no": _clean_yes_no,
    "date": _clean_date,
}


def _reject_unknown_questions(
    form: FormDefinition, answers: Mapping[str, object]
) -> None:
    for question_id in answers:
        if form.find_question(question_id) is None:
            raise FormAnswerError(
                question_id,
                f'The answer to question "{question_id}" matches no question of '
                f'form "{form.id}" version {form.version}. Remove it or correct '
                "the question id.",
            )


def validate_answers(
    form: FormDefinition, answers: Mapping[str, object], *, draft: bool
) -> dict[str, object]:
    """Check answers against the form and return them cleaned.

    Text is stripped and long_text line breaks become "\\n", ratings become int,
    yes_no answers bool and dates ISO strings. A multiple_choice answer lists its
    values in the form's order. Unanswered questions (None, blank text or an
    empty list) are left out of the result. A draft may leave required questions
    unanswered, but a final submission (``draft=False``) may not.

    Raises FormAnswerError for the first invalid answer: the unknown question ids
    first, then the questions in the form's order.
    """
    _reject_unknown_questions(form, answers)
    cleaned: dict[str, object] = {}
    for question in form.questions:
        value = answers.get(question.id)
        answer = None if value is None else _CLEANERS[question.type](question, value)
        if answer is not None:
            cleaned[question.id] = answer
        elif question.required and not draft:
            raise _answer_error(
                question, "is missing", "Answer it before submitting the form"
            )
    return cleaned
