"""The customer page, put together here because it shows every app's view of
the customer and only the wiring may import all three apps."""

from django.contrib import admin

from customers.admin import CustomerAdmin
from customers.models import Customer
from feedback.admin import CaseInline
from surveys.admin import InvitationInline, SurveyResponseInline


@admin.register(Customer)
class CustomerPageAdmin(CustomerAdmin):
    inlines = [
        *CustomerAdmin.inlines,
        InvitationInline,
        SurveyResponseInline,
        CaseInline,
    ]
