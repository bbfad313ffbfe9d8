"""Titles of the mission sheet's sections and labels of their fields, in French
and English, for the PDFs and the pages."""

from __future__ import annotations

SECTION_TITLES: dict[str, dict[str, str]] = {
    "fr": {
        "student": "Étudiant",
        "organisation": "Organisme d'accueil",
        "supervisor": "Tuteur dans l'organisme d'accueil",
        "mission": "Mission",
        "terms": "Conditions du stage",
    },
    "en": {
        "student": "Student",
        "organisation": "Host organisation",
        "supervisor": "Host supervisor",
        "mission": "Mission",
        "terms": "Internship terms",
    },
}

FIELD_LABELS: dict[str, dict[str, dict[str, str]]] = {
    "fr": {
        "student": {
            "first_name": "Prénom",
            "last_name": "Nom",
            "email": "Adresse e-mail",
            "student_number": "Numéro d'étudiant",
            "phone": "Téléphone",
            "address": "Adresse",
        },
        "organisation": {
            "name": "Raison sociale",
            "siret": "Numéro SIRET",
            "identifier": "Identifiant légal",
            "address": "Adresse",
            "country": "Pays",
            "sector": "Secteur d'activité",
            "size": "Effectif",
            "representative_name": "Représentant",
            "representative_position": "Fonction du représentant",
        },
        "supervisor": {
            "first_name": "Prénom",
            "last_name": "Nom",
            "position": "Fonction",
            "email": "Adresse e-mail",
            "phone": "Téléphone",
        },
        "mission": {
            "title": "Intitulé",
            "description": "Description",
            "department": "Service",
            "objectives": "Objectifs",
            "skills": "Compétences à acquérir ou à développer",
        },
        "terms": {
            "weekly_hours": "Heures de présence par semaine",
            "working_days": "Jours de présence",
            "periods": "Périodes à horaires particuliers",
            "interruptions": "Interruptions (suspensions)",
            "holidays_worked": "Jours fériés travaillés",
            "monthly_allowance": "Gratification mensuelle",
            "allowance_payment": "Modalités de versement",
            "benefits": "Avantages",
            "leave": "Congés et autorisations d'absence",
            "remote_work": "Télétravail",
        },
    },
    "en": {
        "student": {
            "first_name": "First name",
            "last_name": "Last name",
            "email": "Email address",
            "student_number": "Student number",
            "phone": "Phone",
            "address": "Address",
        },
        "organisation": {
            "name": "Name",
            "siret": "SIRET number",
            "identifier": "Legal identifier",
            "address": "Address",
            "country": "Country",
            "sector": "Sector",
            "size": "Size",
            "representative_name": "Representative",
            "representative_position": "Representative's position",
        },
        "supervisor": {
            "first_name": "First name",
            "last_name": "Last name",
            "position": "Position",
            "email": "Email address",
            "phone": "Phone",
        },
        "mission": {
            "title": "Title",
            "description": "Description",
            "department": "Department",
            "objectives": "Objectives",
            "skills": "Skills to acquire or develop",
        },
        "terms": {
            "weekly_hours": "Weekly hours of presence",
            "working_days": "Working days",
            "periods": "Periods with their own hours",
            "interruptions": "Interruptions (suspensions)",
            "holidays_worked": "Public holidays worked",
            "monthly_allowance": "Monthly allowance",
            "allowance_payment": "Payment of the allowance",
            "benefits": "Benefits",
            "leave": "Leave and authorised absence",
            "remote_work": "Remote work",
        },
    },
}

# Display kind of a field on the mission sheet, "text" when it is not listed.
# "long" keeps typed line breaks, "money" and "number" use the locale filters.
