"""Who may call each operation of the OpenAPI document: the authorization table.

One row per operation, one column per kind of caller. `OK` means the caller
passes the authorization checks: the response may still be 409 or 422 when
the mission's status or the body does not suit the action, but never 401,
403, 404 or a server error. A number is the refusal the caller must get.

The callers, in column order:

- `anon`: no session and no link.
- `stu`: the student of the mission named in the path.
- `ostu`: another student, with an approved mission of their own.
- `tut`: the tutor assigned to the mission; `otut`: the program's other tutor.
- `cs`: the career service; `adm`: an administrator.
- `link`: the company's link for this mission and this purpose.
- `olink`: the company's link of another mission, same purpose.
- `exp`: this mission's link for this purpose, signed past its lifetime.
- `purp`: this mission's link, made for the other purpose.

Callers holding a link have no session: on a path without `{token}` they are
anonymous. Callers with a session have no link: on a path with `{token}`
they send a string that is no valid link.
"""

from __future__ import annotations

OK = 0
Row = tuple[int, int, int, int, int, int, int, int, int, int, int]

# fmt: off
TABLE: dict[str, Row] = {
    #                                                   anon stu ostu tut otut cs  adm link olink exp purp
    "GET /api/v1/programs":                             (401, OK, OK,  OK, OK,  OK, OK, 401, 401, 401, 401),
    "GET /api/v1/programs/{program_id}/tutors":         (401, 403, 403, 403, 403, OK, OK, 401, 401, 401, 401),
    "PUT /api/v1/programs/{program_id}":                (401, 403, 403, 403, 403, 403, OK, 401, 401, 401, 401),
    "PUT /api/v1/programs/{program_id}/tutors/{tutor_email}": (401, 403, 403, 403, 403, 403, OK, 401, 401, 401, 401),
    "PUT /api/v1/missions/{mission_id}/tutor":          (401, 403, 403, 403, 403, OK, OK, 401, 401, 401, 401),
    # The export names the mission's student: they may export themselves.
    "GET /api/v1/people/export":                        (401, OK, 403, 403, 403, OK, OK, 401, 401, 401, 401),
    "POST /api/v1/people/erase":                        (401, 403, 403, 403, 403, OK, OK, 401, 401, 401, 401),
    "POST /api/v1/missions":                            (401, OK, OK,  403, 403, 403, 403, 401, 401, 401, 401),
    "GET /api/v1/missions":                             (401, OK, OK,  OK, OK,  OK, OK, 401, 401, 401, 401),
    "GET /api/v1/missions/counts":                      (401, OK, OK,  OK, OK,  OK, OK, 401, 401, 401, 401),
    "GET /api/v1/missions/export.csv":                  (401, 403, 403, 403, 403, OK, OK, 401, 401, 401, 401),
    "GET /api/v1/missions/{mission_id}":                (401, OK, 404, OK, 404, OK, OK, 401, 401, 401, 401),
    "PUT /api/v1/missions/{mission_id}/dates":          (401, OK, 404, 403, 403, 403, 403, 401, 401, 401, 401),
    "PUT /api/v1/missions/{mission_id}/sections/{name}": (401, OK, 404, 403, 403, 403, 403, 401, 401, 401, 401),
    "POST /api/v1/missions/{mission_id}/submit":        (401, OK, 404, 403, 403, 403, 403, 401, 401, 401, 401),
    "POST /api/v1/missions/{mission_id}/derogation/approve": (401, 403, 403, 403, 403, OK, OK, 401, 401, 401, 401),
    "POST /api/v1/missions/{mission_id}/derogation/reject": (401, 403, 403, 403, 403, OK, OK, 401, 401, 401, 401),
    "POST /api/v1/missions/{mission_id}/confirm":       (401, OK, 404, 403, 403, 403, 403, 401, 401, 401, 401),
    "POST /api/v1/missions/{mission_id}/return-to-company": (401, OK, 404, 403, 403, 403, 403, 401, 401, 401, 401),
    "POST /api/v1/missions/{mission_id}/tutor/approve": (401, 403, 403, OK, 404, 403, 403, 401, 401, 401, 401),
    "POST /api/v1/missions/{mission_id}/tutor/refuse":  (401, 403, 403, OK, 404, 403, 403, 401, 401, 401, 401),
    "POST /api/v1/missions/{mission_id}/approve":       (401, 403, 403, 403, 403, OK, OK, 401, 401, 401, 401),
    "POST /api/v1/missions/{mission_id}/send-back":     (401, 403, 403, 403, 403, OK, OK, 401, 401, 401, 401),
    "POST /api/v1/missions/{mission_id}/abroad/acknowledge": (401, OK, 404, 403, 403, 403, 403, 401, 401, 401, 401),
    "POST /api/v1/missions/{mission_id}/convention/originals-received": (401, 403, 403, 403, 403, OK, OK, 401, 401, 401, 401),
    "GET /api/v1/missions/{mission_id}/sheet.pdf":      (401, OK, 404, OK, 404, OK, OK, 401, 401, 401, 401),
    "GET /api/v1/missions/{mission_id}/convention.pdf": (401, OK, 404, 403, 403, OK, OK, 401, 401, 401, 401),
    "POST /api/v1/missions/{mission_id}/convention/scan": (401, OK, 404, 403, 404, 403, 403, 401, 401, 401, 401),
    "POST /api/v1/missions/{mission_id}/insurance":     (401, OK, 404, 403, 404, 403, 403, 401, 401, 401, 401),
    "POST /api/v1/missions/{mission_id}/certificate":   (401, OK, 404, 403, 404, OK, OK, 401, 401, 401, 401),
    "GET /api/v1/missions/{mission_id}/files":          (401, OK, 404, OK, 404, OK, OK, 401, 401, 401, 401),
    "GET /api/v1/missions/{mission_id}/files/{file_id}": (401, OK, 404, OK, 404, OK, OK, 401, 401, 401, 401),
    "GET /api/v1/missions/{mission_id}/evaluations":    (401, OK, 404, OK, 404, OK, OK, 401, 401, 401, 401),
    "POST /api/v1/missions/{mission_id}/report":        (401, OK, 404, 403, 403, 403, 403, 401, 401, 401, 401),
    "POST /api/v1/missions/{mission_id}/report/approve": (401, 403, 404, OK, 404, 403, 403, 401, 401, 401, 401),
    "POST /api/v1/missions/{mission_id}/report/refuse": (401, 403, 404, OK, 404, 403, 403, 401, 401, 401, 401),
    "POST /api/v1/missions/{mission_id}/deposit/reopen": (401, 403, 404, 403, 404, OK, OK, 401, 401, 401, 401),
    "PUT /api/v1/missions/{mission_id}/forms/{kind}":   (401, OK, 404, 403, 404, 403, 403, 401, 401, 401, 401),
    "POST /api/v1/missions/{mission_id}/forms/{kind}/submit": (401, OK, 404, 403, 404, 403, 403, 401, 401, 401, 401),
    "GET /api/v1/evaluations":                          (401, 403, 403, 403, 403, OK, OK, 401, 401, 401, 401),
    "GET /api/v1/evaluations/export.csv":               (401, 403, 403, 403, 403, OK, OK, 401, 401, 401, 401),
    "GET /api/v1/emails":                               (401, 403, 403, 403, 403, OK, OK, 401, 401, 401, 401),
    "GET /api/v1/emails/scheduled":                     (401, 403, 403, 403, 403, OK, OK, 401, 401, 401, 401),
    "POST /api/v1/emails/{email_id}/retry":             (401, 403, 403, 403, 403, OK, OK, 401, 401, 401, 401),
    "GET /api/v1/company/{token}/mission":              (401, 401, 401, 401, 401, 401, 401, OK, OK, 401, 401),
    "PUT /api/v1/company/{token}/sections/{name}":      (401, 401, 401, 401, 401, 401, 401, OK, OK, 401, 401),
    "GET /api/v1/company/{token}/files/{file_id}":      (401, 401, 401, 401, 401, 401, 401, OK, 404, 401, 401),
    "POST /api/v1/company/{token}/validate":            (401, 401, 401, 401, 401, 401, 401, OK, OK, 401, 401),
    "GET /api/v1/company/evaluation/{token}":           (401, 401, 401, 401, 401, 401, 401, OK, OK, 401, 401),
    "PUT /api/v1/company/evaluation/{token}":           (401, 401, 401, 401, 401, 401, 401, OK, OK, 401, 401),
    "POST /api/v1/company/evaluation/{token}/submit":   (401, 401, 401, 401, 401, 401, 401, OK, OK, 401, 401),
    "POST /api/v1/company/evaluation/{token}/certificate": (401, 401, 401, 401, 401, 401, 401, OK, OK, 401, 401),
    # The development login and mailbox exist only where CAMPUS_DEV_LOGIN is
    # on, never in production, and are open to anyone there by design.
    "GET /api/v1/dev/users":                            (OK, OK, OK,  OK, OK,  OK, OK, OK,  OK,  OK,  OK),
    "POST /api/v1/dev/login":                           (OK, OK, OK,  OK, OK,  OK, OK, OK,  OK,  OK,  OK),
    "POST /api/v1/dev/logout":                          (OK, OK, OK,  OK, OK,  OK, OK, OK,  OK,  OK,  OK),
    "GET /api/v1/dev/mailbox":                          (OK, OK, OK,  OK, OK,  OK, OK, OK,  OK,  OK,  OK),
    # Last, because an allowed call changes the mission for the rows after it.
    "PUT /api/v1/missions/{mission_id}/supervisor":     (401, 403, 403, 403, 403, OK, OK, 401, 401, 401, 401),
    "POST /api/v1/missions/{mission_id}/cancel":        (401, OK, 404, 403, 404, OK, OK, 401, 401, 401, 401),
    "DELETE /api/v1/dev/mailbox":                       (OK, OK, OK,  OK, OK,  OK, OK, OK,  OK,  OK,  OK),
}
# fmt: on

# The mailbox exists only in the embedded mode; with SMTP it is not found.
EMBEDDED_ONLY = {"GET /api/v1/dev/mailbox", "DELETE /api/v1/dev/mailbox"}

# Operations whose response body may name any mission, whoever calls: the
# development mailbox shows every email, by design of the embedded mode.
UNSCANNED = {"GET /api/v1/dev/mailbox"}
