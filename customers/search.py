"""Finding customers by what a person types: a word of their name, email,
company or external id, through indexes at any table size. The customer
list and every list about customers (cases) search the same way."""

from django.db.models import Q

from customers.models import Company

MAX_SEARCH_WORDS = 5
# Trigram indexes need three characters; shorter words (a Chinese surname, a
# given name of two characters) match names by prefix, through an index too.
TRIGRAM_LENGTH = 3
# Companies matched by name are passed to the customer query as a list, so that
# PostgreSQL can combine indexes on one table; past this many, as a subquery.
COMPANY_ID_LIST_LIMIT = 500


def customer_matches(word: str) -> Q:
    """Customers whose name, email, company or external id match one word."""
    companies = Company.objects.filter(name__icontains=word).values_list(
        "id", flat=True
    )
    company_ids = list(companies[: COMPANY_ID_LIST_LIMIT + 1])
    in_company = Q(
        company_id__in=companies
        if len(company_ids) > COMPANY_ID_LIST_LIMIT
        else company_ids
    )
    if len(word) < TRIGRAM_LENGTH:
        return Q(name__istartswith=word) | Q(external_id=word) | in_company
    return (
        Q(name__icontains=word)
        | Q(email__icontains=word)
        | Q(external_id=word)
        | in_company
    )
