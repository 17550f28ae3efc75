"""The one order in which row locks are taken, across the apps.

Each app's `locks.py` holds the helpers that take its rows' locks
(docs/architecture.md, "Inside an app"); this docstring holds the order they follow.
A transaction that needs rows of several kinds locks them from the top of this list
down, and several rows of one kind in primary-key order, in one statement. Two
transactions that both follow it may queue behind each other, never deadlock.

Every helper locks with FOR NO KEY UPDATE OF its own table only: a row inserted
elsewhere with a foreign key to a locked row (an allocation, an audit row, a block)
takes KEY SHARE and is not held up, and a joined row (`select_related`) is read, not
locked. An UPDATE takes the same row lock: update a row once it is locked, or in this
order too. Re-locking a row the transaction already holds is free, so a service may
lock rows ahead of the callee that locks them again.

 1. payments.BankTransaction (pk order): pairing claims a payment (skip_locked) and
    every staff action on a payment (assign, re-book, credit, return, discard), the
    return export and the matching of returned debits start with it: the payment is
    the unit of work, everything it touches comes after it.
 2. payments.PaymentReturn (pk order): proposing, withdrawing (an assignment),
    exporting and matching a return, always under its payment's lock.
 3. accounts.Subscription (pk order): a cancellation withdraws the renewal documents
    of the locked subscription, the renewal job issues one under it, and fulfilment
    (and the settlement of a batch, which issues the tax invoice in the same
    transaction) locks the subscriptions a paid document extends before the
    document: a subscription owns its renewal documents, so it comes before them.
 4. invoices.Document (pk order): the one writer of a document's money is called
    under the document's lock (pairing, staff payments, credit charges and
    reversals), as are issuing a tax invoice or a credit note from it, cancelling,
    delivering, fulfilling; a cancellation locks all the documents it may withdraw
    before it cancels or credits the first.
 5. accounts.Customer: a top-up request and the customer's credit settings; after
    the documents (nothing locks one of a customer's documents under the customer),
    before the wallet the settings change.
 6. credits.Wallet (id order): a credit charge, a reversal, a payment's surplus or a
    staff credit, a top-up: after the document it pays or is paid from, before the
    contract whose unblock the payment schedules; the set-based auto-charge locks
    its requests, then all their wallets in one statement in id order.
 7. accounts.Contract (pk order): every payment, cancellation or credit note of a
    document schedules its contract's unblock under the contract's lock
    (`invoices.dunning.schedule_unblock`); a staff payment of several documents and
    a subscription's cancellation lock their documents' contracts in pk order up
    front; the blocking and lifting jobs lock contracts in pk-ordered batches. After
    the document and the wallet, so blocking serialises with a payment (see
    `invoices.dunning`) and a paid contract is never left blocked without its
    unblock date.
 8. accounts.ContractBlock: set, lifted or rescheduled under its contract's lock; a
    manual lift and the revoke job take the block alone (a revoke handler that
    needed the contract would have to lock it before the block).
 9. invoices.NumberSeries: the counter row of a series and year, taken by issuing a
    document: the last row a transaction waits for, so the hottest row is held for
    the shortest time; a credit note that settles its invoice locks the contract
    before it takes the number.
10. Taken alone, nothing locked after them: invoices.DunningNotice (sending a
    notice), credits.MonthlyStatement (sending a statement), accounts.AuthorizedPerson
    (giving a person a portal login). Claims and outbox rows are inserted (a claim
    marked done later in the same transaction), never locked ahead.

The skip_locked claims of periodic jobs (a due payment, subscription, request,
block...) never wait, so they cannot close a deadlock; each is the first lock of its
transaction and what follows it keeps this order (tests/test_lock_order.py names
them: they stay inline, next to the filter that says which rows are due).
"""

from __future__ import annotations

#: The order above as model labels, top first (the rows of step 10 are taken alone).
ORDER: tuple[str, ...] = (
    "payments.BankTransaction",
    "payments.PaymentReturn",
    "accounts.Subscription",
    "invoices.Document",
    "accounts.Customer",
    "credits.Wallet",
    "accounts.Contract",
    "accounts.ContractBlock",
    "invoices.NumberSeries",
    "invoices.DunningNotice",
    "credits.MonthlyStatement",
    "accounts.AuthorizedPerson",
)
