"""factory-boy factories for the domain core."""

from __future__ import annotations

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from accounts.models import AuthorizedPerson, Contract, Customer, Subscription
from invoices.models import BankAccount, Product, ProductPrice


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = Customer

    kind = Customer.Kind.COMPANY
    name = factory.Sequence(lambda n: f"Zákazník {n} s.r.o.")
    ico = "25596641"
    dic = "CZ25596641"
    vat_payer = True
    country = "CZ"
    language = "cs"
    currency = "CZK"
    street = "Václavské náměstí 1"
    city = "Praha"
    postal_code = "110 00"
    email = factory.Sequence(lambda n: f"ucetni{n}@example.cz")


class SlovakCustomerFactory(CustomerFactory):
    ico = "35697270"
    dic = "SK2020317068"
    country = "SK"
    language = "sk"
    currency = "EUR"
    city = "Bratislava"
    postal_code = "811 01"


class FinnishCustomerFactory(CustomerFactory):
    ico = "0112038-9"
    dic = "FI01120389"
    country = "FI"
    language = "fi"
    currency = "EUR"
    city = "Helsinki"
    postal_code = "00100"


class PersonCustomerFactory(CustomerFactory):
    kind = Customer.Kind.PERSON
    name = factory.Sequence(lambda n: f"Jana Nováková {n}")
    ico = ""
    dic = ""
    vat_payer = False


class ContractFactory(DjangoModelFactory):
    class Meta:
        model = Contract

    number = factory.Sequence(lambda n: f"F{2112000000 + n:010d}")
    customer = factory.SubFactory(CustomerFactory)


class AuthorizedPersonFactory(DjangoModelFactory):
    class Meta:
        model = AuthorizedPerson

    contract = factory.SubFactory(ContractFactory)
    name = factory.Sequence(lambda n: f"Pověřená osoba {n}")
    email = factory.Sequence(lambda n: f"osoba{n}@example.cz")


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"product-{n}")
    kind = "hosting"
    name = factory.Sequence(lambda n: f"Webhosting {n}")
    billing_period_months = 12

    @factory.post_generation
    def prices(self, create, extracted, **kwargs):
        if not create:
            return
        for currency, amount in (extracted or {"CZK": "1000.00", "EUR": "40.00"}).items():
            ProductPrice.objects.get_or_create(
                product=self, currency=currency, defaults={"net_amount": Decimal(amount)}
            )


class BankAccountFactory(DjangoModelFactory):
    class Meta:
        model = BankAccount
        django_get_or_create = ("iban",)

    name = "Provozní účet CZK"
    iban = "CZ6508000000192000145399"
    currency = "CZK"


class SubscriptionFactory(DjangoModelFactory):
    class Meta:
        model = Subscription

    contract = factory.SubFactory(ContractFactory)
    product = factory.SubFactory(ProductFactory)
    label = factory.Sequence(lambda n: f"domena{n}.cz")
    billing_period_months = 12
    status = Subscription.Status.ACTIVE


class StatementImportFactory(DjangoModelFactory):
    class Meta:
        model = "payments.StatementImport"

    source = "command"
    filename = "test.xml"
    content = b"<test/>"
    sha256 = factory.Sequence(lambda n: f"{n:064d}")
    size = 7
    format = "camt053"
    status = "accepted"


class BankTransactionFactory(DjangoModelFactory):
    """A received credit on our CZK account; pass variable_symbol, amount..."""

    class Meta:
        model = "payments.BankTransaction"

    bank_account = factory.SubFactory(BankAccountFactory)
    statement_import = factory.SubFactory(StatementImportFactory)
    natural_key = factory.Sequence(lambda n: f"ref:TEST{n}")
    bank_reference = factory.Sequence(lambda n: f"TEST{n}")
    booking_date = factory.LazyFunction(lambda: __import__("datetime").date(2026, 11, 20))
    direction = "credit"
    amount = Decimal("100.00")
    currency = factory.SelfAttribute("bank_account.currency")
    status = "unprocessed"
