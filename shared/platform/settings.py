"""Settings of every Campus process, read from `CAMPUS_*` environment variables.

The embedded mode is the default: SQLite files under `data_dir`, the embedded
event log, the local mailbox and the development login. The distributed mode
sets `database_url`, `kafka_bootstrap` and `smtp_host`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Literal

import limits
from pydantic import (
    Field,
    NonNegativeInt,
    PositiveInt,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me-development-only"
MEBIBYTE = 1024 * 1024
DEFAULT_UPLOAD_MAX_BYTES = {
    "agreement_scan": 10 * MEBIBYTE,
    "insurance": 5 * MEBIBYTE,
    "report": 20 * MEBIBYTE,
    "certificate": 5 * MEBIBYTE,
}

# Days each kind of data is kept; 0 keeps it for ever. See docs/personal-data.md.
DEFAULT_RETENTION_DAYS = {
    # Sent, failed and erased emails of the sent-mail record (and mailbox).
    "email_log": 365,
    # Uploaded files' content (scans, insurance, reports, certificates),
    # counted from their upload.
    "uploaded_files": 5 * 365,
    # Students and supervisors whose every mission ended this long ago are
    # erased, as on request.
    "missions": 5 * 365,
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CAMPUS_")

    mode: Literal["embedded", "distributed"] = "embedded"
    environment: Literal["development", "production"] = "development"
    data_dir: Path = Field(
        Path(".run/data"), description="SQLite files and stored files."
    )
    database_url: str | None = Field(
        None,
        description="PostgreSQL URL in which {service} stands for the service's name.",
    )
    kafka_bootstrap: str | None = Field(
        None, description="host:port of a Kafka broker."
    )
    kafka_namespace: str = Field(
        "",
        description="Prefix of topic and consumer-group names, so that several "
        "deployments or test runs can share one broker; empty in production.",
    )
    smtp_host: str | None = None
    smtp_port: int = 25
    mail_from: str = "Campus <campus@ecole-campus.fr>"
    career_service_email: str = "scs@ecole-campus.fr"
    public_url: str = Field("http://127.0.0.1:8000", description="Address in emails.")
    secret_key: str = Field(DEFAULT_SECRET, description="Signs sessions and links.")
    company_link_days: int = Field(30, ge=1, description="Days a company link works.")
    dev_login: bool | None = Field(
        None, description="Serve /api/v1/dev/*; defaults to on in the embedded mode."
    )
    service_urls: dict[str, str] = Field(
        default_factory=dict,
        description="Base URL of each service the gateway calls (distributed mode).",
    )
    allowance_hourly_rates: dict[dt.date, Decimal] = Field(
        default_factory=lambda: {
            dt.date(2025, 1, 1): Decimal("4.35"),
            dt.date(2026, 1, 1): Decimal("4.50"),
        },
        description="Legal minimum allowance per hour of presence, in euros, by the "
        "date from which each applies (JSON, for example "
        '{"2026-01-01": "4.50"}).',
    )
    smtp_retry_seconds: float = Field(
        5, gt=0, description="Wait before the first retry of a failed email; doubles."
    )
    forms_folders: list[Path] = Field(
        default_factory=list,
        description="Folders of the school's own evaluation forms (JSON), read "
        "after the shipped ones.",
    )
    evaluation_link_days: int = Field(
        180, ge=1, description="Days the supervisor's evaluation link works."
    )
    report_opens_months_before_end: int = Field(
        1, ge=0, description="Months before the end date the report deposit opens."
    )
    report_closes_months_after_end: int = Field(
        3, ge=0, description="Months after the end date the report deposit closes."
    )
    reminder_days: int = Field(
        3, ge=1, description="Days without action before a company or tutor reminder."
    )
    reminder_count: int = Field(
        3, ge=0, description="Reminders before the career service is alerted."
    )
    lead_time_warning_days: int = Field(
        5, ge=0, description="Days before the approval deadline to warn of it."
    )
    max_body_bytes: int = Field(
        1024 * 1024, ge=1024, description="Largest request body the gateway accepts."
    )
    sign_in_rate_limit: str = Field(
        "10/minute",
        description="Failed sign-ins allowed per client address, in the notation "
        "of the limits package (for example 10/minute or 50/hour); then 429.",
    )
    link_rate_limit: str = Field(
        "30/minute",
        description="Invalid, expired or malformed company links allowed per "
        "client address (for example 30/minute); then 429.",
    )
    s3_endpoint_url: str | None = Field(
        None,
        description="Address of an S3-compatible object store, for example "
        "http://127.0.0.1:9000 for MinIO; unset for Amazon S3.",
    )
    s3_bucket: str | None = Field(
        None,
        description="Bucket of stored files, created at start if missing. When "
        "unset, files are kept in data_dir/files.",
    )
    s3_access_key: str | None = Field(
        None, description="S3 access key; unset for boto3's default credentials."
    )
    s3_secret_key: SecretStr | None = Field(None, description="S3 secret key.")
    s3_region: str = Field("us-east-1", description="Region of the S3 bucket.")
    upload_max_bytes: dict[str, PositiveInt] = Field(
        default_factory=lambda: dict(DEFAULT_UPLOAD_MAX_BYTES),
        description="Largest uploaded file of each kind, in bytes (JSON, for "
        'example {"report": 20971520}); kinds left out keep their default.',
    )
    retention_days: dict[str, NonNegativeInt] = Field(
        default_factory=lambda: dict(DEFAULT_RETENTION_DAYS),
        description="Days each kind of data is kept, 0 for ever (JSON, for "
        'example {"email_log": 365}): email_log, uploaded_files, missions; '
        "kinds left out keep their default.",
    )
    retention_check_seconds: float = Field(
        3600,
        gt=0,
        description="Seconds between two runs of the retention job in each "
        "service; moving the development clock runs it at once.",
    )
    school_logo: Path | None = Field(
        Path(__file__).resolve().parents[2] / "seed" / "logo.png",
        description="PNG or JPEG logo at the top of the PDFs; empty for none.",
    )
    seed_file: Path = Path(__file__).resolve().parents[2] / "seed" / "demo.json"
    oidc_issuer: str | None = Field(
        None,
        description="Address of the school's OpenID provider, whose "
        "/.well-known/openid-configuration is read; unset for no single sign-on.",
    )
    oidc_client_id: str | None = Field(None, description="Campus' OIDC client id.")
    oidc_client_secret: SecretStr | None = Field(
        None, description="Campus' OIDC client secret."
    )
    oidc_role_claim: str = Field(
        "campus_role",
        description="ID token claim that holds the user's Campus role: student, "
        "tutor, career_service or admin.",
    )

    @field_validator("upload_max_bytes", mode="after")
    @classmethod
    def _keep_default_upload_limits(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(value) - set(DEFAULT_UPLOAD_MAX_BYTES))
        if unknown:
            raise ValueError(
                f"CAMPUS_UPLOAD_MAX_BYTES names unknown upload kinds "
                f"{', '.join(unknown)}: use {', '.join(DEFAULT_UPLOAD_MAX_BYTES)}"
            )
        return {**DEFAULT_UPLOAD_MAX_BYTES, **value}

    @field_validator("sign_in_rate_limit", "link_rate_limit", mode="after")
    @classmethod
    def _check_rate_limit(cls, value: str) -> str:
        try:
            limits.parse(value)
        except ValueError as error:
            raise ValueError(
                f"{value!r} is not a rate limit: write a count per period, "
                "for example 10/minute or 100/hour"
            ) from error
        return value

    @field_validator("retention_days", mode="after")
    @classmethod
    def _keep_default_retention(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(value) - set(DEFAULT_RETENTION_DAYS))
        if unknown:
            raise ValueError(
                f"CAMPUS_RETENTION_DAYS names unknown kinds of data "
                f"{', '.join(unknown)}: use {', '.join(DEFAULT_RETENTION_DAYS)}"
            )
        return {**DEFAULT_RETENTION_DAYS, **value}

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEFAULT_SECRET:
            raise ValueError(
                "CAMPUS_SECRET_KEY is the development default, which anyone can "
                "read in the source: set it to a random value in production, "
                "for example the output of `openssl rand -hex 32`"
            )
        if self.environment == "production" and len(self.secret_key) < 32:
            raise ValueError(
                "CAMPUS_SECRET_KEY must have at least 32 characters in production"
            )
        if self.environment == "production" and self.dev_login:
            raise ValueError("CAMPUS_DEV_LOGIN cannot be on in production")
        if self.mode == "distributed" and not (
            self.database_url and self.kafka_bootstrap
        ):
            raise ValueError(
                "the distributed mode needs CAMPUS_DATABASE_URL and "
                "CAMPUS_KAFKA_BOOTSTRAP"
            )
        if bool(self.database_url) != bool(self.kafka_bootstrap):
            raise ValueError(
                "set CAMPUS_DATABASE_URL and CAMPUS_KAFKA_BOOTSTRAP together, or "
                "neither for the embedded mode's SQLite files and log"
            )
        return self

    @property
    def dev_login_enabled(self) -> bool:
        if self.dev_login is None:
            # Production never gets the development login by default.
            return self.mode == "embedded" and self.environment != "production"
        return self.dev_login

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @property
    def uses_mailbox(self) -> bool:
        return self.smtp_host is None
