"""The Azure Functions app (Python v2 programming model): registers every blueprint and, with Application
Insights configured, its OpenTelemetry exporter."""

import azure.functions as func

from functions.addin import bp as addin
from functions.admin import bp as admin
from functions.answers import bp as answers
from functions.book_session import bp as book_session
from functions.groups import bp as groups
from functions.health import bp as health
from functions.learning_records import bp as learning_records
from functions.links import bp as links
from functions.mentors import bp as mentors
from functions.notifications import bp as notifications
from functions.office_hours import bp as office_hours
from functions.outcome_mail import bp as outcome_mail
from functions.requests import bp as mentoring_requests
from functions.series import bp as series
from functions.session_page import bp as session_page
from functions.slots import bp as slots
from functions.sync_calendar import bp as sync_calendar
from telemetry import configure_from_environment

# Application Insights through OpenTelemetry when the app setting is there; a no-op locally and in tests.
configure_from_environment()

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
for blueprint in (
    health,
    slots,
    book_session,
    groups,
    series,
    office_hours,
    mentoring_requests,
    admin,
    links,
    session_page,
    mentors,
    addin,
    sync_calendar,
    notifications,
    answers,
    outcome_mail,
    learning_records,
):
    app.register_functions(blueprint)
