"""The demo company's people: companies and customers, keyed so that a second
run finds them (`seed_demo` says more); `seed` builds it all, with the
customers' histories (demo/history.py) and the staff's desks (demo/desk.py),
for the staff logins of demo/staff.py."""

import random
from datetime import datetime, timedelta
from typing import TypeVar

from django.contrib.auth.models import User

from customers.models import Company, Customer, Interaction
from demo import catalogue
from demo.desk import write_desks
from demo.history import HistoryPlan, Rows
from demo.seeding import (
    OWNERS,
    SEED,
    STAGES,
    USAGE,
    ensure_surveys,
    ensure_touchpoints,
    members_among,
)
from feedback.models import Case, RootCause
from surveys.models import Invitation, SurveyResponse
from surveys.services import rollup

CUSTOMER_COUNT = 200
INDEPENDENT_CUSTOMERS = 20
STAGE_WEIGHTS = [6, 8, 6, 8, 45, 15, 12]
SEGMENT_WEIGHTS = {"enterprise": 3, "mid-market": 2, "smb": 1}
TAGS = ["vip", "beta", "reference", "at-risk"]
DEMO_COMPANIES = {
    f"demo-co-{number:02d}": entry
    for number, entry in enumerate(catalogue.COMPANIES, start=1)
}
Keyed = TypeVar("Keyed", Company, Customer)


def seed(*, staff: dict[str, User], now: datetime) -> dict[str, int]:
    """Everything but the logins: `staff` are the demo's own (demo/staff.py)."""
    rng = random.Random(SEED)
    touchpoints = ensure_touchpoints()
    surveys = ensure_surveys(touchpoints)
    companies = ensure_companies(staff)
    customers = ensure_customers(rng, companies, staff, now)
    with_history = set(
        Interaction.objects.filter(customer__in=customers).values_list(
            "customer_id", flat=True
        )
    )
    plan = HistoryPlan(
        now=now,
        staff=staff,
        touchpoints=touchpoints,
        surveys=surveys,
        root_causes={cause.name: cause for cause in RootCause.objects.all()},
    )
    new_rows = Rows()
    for customer in customers:
        if customer.pk not in with_history:
            new_rows.extend(plan.draw(customer))
    new_rows.save()
    if new_rows.responses:
        # bulk_create bypasses the answer service, which keeps the rollup.
        days = [rollup.day_of(response.answered_at) for response in new_rows.responses]
        rollup.rebuild_rollup(start=min(days), end=max(days))
    # After the history: a desk's cases are opened from its interactions.
    write_desks(staff, customers=customers, now=now)
    return {
        "companies": len(companies),
        "customers": len(customers),
        "touchpoints": len(touchpoints),
        "surveys": len(surveys),
        "interactions": Interaction.objects.filter(customer__in=customers).count(),
        "invitations": Invitation.objects.filter(customer__in=customers).count(),
        "responses": SurveyResponse.objects.filter(customer__in=customers).count(),
        "cases": Case.objects.filter(customer__in=customers).count(),
    }


def ensure_companies(staff: dict[str, User]) -> list[Company]:
    planned = []
    for number, (external_id, entry) in enumerate(DEMO_COMPANIES.items()):
        owners = members_among(staff, OWNERS[entry.language])
        planned.append(
            Company(
                external_id=external_id,
                name=entry.name,
                domain=entry.domain,
                segment=entry.segment,
                owner=owners[number % len(owners)] if owners else None,
            )
        )
    return ensure_all(Company, planned)


def ensure_all(model: type[Keyed], planned: list[Keyed]) -> list[Keyed]:
    """Insert the planned rows whose external id is new; return all, in plan order."""
    keys = [row.external_id for row in planned]
    rows = model.objects.filter(external_id__in=keys)
    existing = set(rows.values_list("external_id", flat=True))
    model.objects.bulk_create(
        [row for row in planned if row.external_id not in existing]
    )
    saved = {row.external_id: row for row in rows.select_related(*RELATED[model])}
    return [saved[key] for key in keys]


RELATED = {Company: ["owner"], Customer: ["owner", "company"]}


def ensure_customers(
    rng: random.Random,
    companies: list[Company],
    staff: dict[str, User],
    now: datetime,
) -> list[Customer]:
    weights = [SEGMENT_WEIGHTS[company.segment] for company in companies]
    employed = CUSTOMER_COUNT - INDEPENDENT_CUSTOMERS
    # Every company gets someone; bigger ones get more people.
    employers: list[Company | None] = list(companies)
    employers += rng.choices(companies, weights, k=employed - len(companies))
    employers += [None] * INDEPENDENT_CUSTOMERS
    emails: set[str] = set()
    planned = []
    for number, company in enumerate(employers, start=1):
        if company is None:
            language = rng.choice(["en", "en", "en", "zh-hans", "zh-hans"])
            zone = rng.choice(catalogue.timezone_choices(language))
            domain, segment = "mail.example", "smb"
        else:
            entry = DEMO_COMPANIES[company.external_id]
            language, zone = entry.language, entry.timezone
            if rng.random() < 0.15:
                zone = rng.choice(catalogue.timezone_choices(language))
            domain, segment = company.domain, company.segment
        name, local_part = catalogue.person_name(rng, language)
        email = unique_email(local_part, domain, emails)
        if rng.random() < 0.03:
            email = ""
        stage = rng.choices(STAGES, STAGE_WEIGHTS)[0]
        # Customers still buying are recent; users may be with us for years.
        joined_days = 540 if STAGES.index(stage) >= USAGE else 150
        created_at = now - timedelta(days=rng.uniform(5, joined_days))
        opted_out_at = None
        if email and rng.random() < 0.04:
            opted_out_at = created_at + (now - created_at) * rng.uniform(0.2, 0.9)
        owners = members_among(staff, OWNERS[language])
        owner = rng.choice(owners) if owners else None
        if company is not None and company.owner is not None and rng.random() < 0.8:
            owner = company.owner
        planned.append(
            Customer(
                external_id=f"demo-cu-{number:03d}",
                name=name,
                email=email,
                phone=fiction_phone(rng, zone),
                company=company,
                segment=segment,
                stage=stage,
                language=language,
                timezone=zone,
                owner=owner,
                tags=[rng.choice(TAGS)] if rng.random() < 0.15 else [],
                email_opted_out_at=opted_out_at,
                created_at=created_at,
            )
        )
    return ensure_all(Customer, planned)


def unique_email(local_part: str, domain: str, taken: set[str]) -> str:
    email, number = f"{local_part}@{domain}", 1
    while email in taken:
        number += 1
        email = f"{local_part}{number}@{domain}"
    taken.add(email)
    return email


def fiction_phone(rng: random.Random, zone: str) -> str:
    if zone not in catalogue.FICTION_PHONES:
        return ""
    prefix, digits = catalogue.FICTION_PHONES[zone]
    return prefix + "".join(rng.choice("0123456789") for _ in range(digits))
