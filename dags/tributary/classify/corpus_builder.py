"""Writes the labelled corpus (corpus/train.jsonl, corpus/holdout.jsonl) from the table
blueprints below. Run it after editing a blueprint and commit both files:

    python -m tributary.classify.corpus_builder

Each synthetic *database* draws application tables from one domain, a few market/broker tables,
and stale leftovers (copies of its own tables, imports, hotfixes, abandoned features), with
usage statistics drawn per scenario (busy, quiet, statistics just reset, freshly loaded).
Deterministic: a fixed seed, no clock. The held-out file holds whole databases built from
domains, market blueprints and name patterns the training file never sees.
"""

from __future__ import annotations

import json
import math
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
SEED = 20261122
# Tables of the acceptance inventories (tests/fixtures/classify): never generated under these names.
ACCEPTANCE_NAMES = frozenset({"tmp_import_2019", "legacy_promo_codes", "old_kyc_audit_2018", "backup_users_20200101"})

TYPES = {
    "bigserial": "bigint", "serial": "integer", "int": "integer", "bigint": "bigint", "smallint": "smallint",
    "text": "text", "vc": "character varying(255)", "vc32": "character varying(32)", "char3": "character(3)",
    "char2": "character(2)", "char1": "character(1)", "num": "numeric(18,6)", "money": "numeric(12,2)",
    "float": "double precision", "real": "real", "bool": "boolean", "date": "date", "uuid": "uuid",
    "tstz": "timestamp with time zone", "ts": "timestamp without time zone", "jsonb": "jsonb", "json": "json",
    "bytea": "bytea", "inet": "inet", "interval": "interval", "text[]": "text[]", "tsvector": "tsvector",
    "int[]": "integer[]", "time": "time without time zone",
}

# ---------------------------------------------------------------- application domains
# "table: column type [pk] [uq] [idx] [>target_table], ..."  (a time column marked idx is the time key)
APP_DOMAINS: dict[str, list[str]] = {
    "brokerage_app": [
        "members: id bigserial pk, email text uq, display_name text, country char2, status text, created_at tstz, updated_at tstz",
        "member_accounts: id bigserial pk, member_id bigint >members, account_no text uq, base_currency char3, opened_at tstz, closed_at tstz, updated_at tstz",
        "orders: id bigserial pk, account_id bigint >member_accounts, symbol text, side text, order_type text, qty num, limit_price num, status text, submitted_at tstz idx, updated_at tstz",
        "order_events: id bigserial pk, order_id bigint >orders, event_type text, payload jsonb, created_at tstz idx",
        "watchlists: id serial pk, member_id bigint >members, name text, created_at tstz, updated_at tstz",
        "watchlist_items: watchlist_id int pk >watchlists, symbol text pk, added_at tstz",
        "price_alerts: id bigserial pk, member_id bigint >members, symbol text, threshold num, direction text, is_active bool, triggered_at tstz, created_at tstz",
        "deposits: id bigserial pk, account_id bigint >member_accounts, amount money, currency char3, method text, status text, requested_at tstz idx, settled_at tstz",
        "withdrawals: id bigserial pk, account_id bigint >member_accounts, amount money, currency char3, iban text, status text, requested_at tstz idx, updated_at tstz",
        "holdings: account_id bigint pk >member_accounts, symbol text pk, quantity num, avg_cost num, updated_at tstz",
        "algo_configs: id serial pk, member_id bigint >members, name text, params jsonb, enabled bool, version int, updated_at tstz",
        "model_predictions: id bigserial pk, config_id int >algo_configs, symbol text, predicted_at tstz idx, signal real, confidence real, model_version text, features jsonb",
        "prediction_outcomes: id bigserial pk, prediction_id bigint >model_predictions, order_id bigint >orders, pnl money, horizon interval, evaluated_at tstz",
        "risk_limits: id serial pk, account_id bigint >member_accounts, limit_type text, limit_value num, breached bool, updated_at tstz",
        "notifications: id bigserial pk, member_id bigint >members, channel text, template text, sent_at tstz idx, read_at tstz",
    ],
    "banking": [
        "customers: customer_id bigserial pk, first_name text, last_name text, email text uq, phone text, date_of_birth date, kyc_status text, created_at tstz, updated_at tstz",
        "bank_accounts: account_id bigserial pk, customer_id bigint >customers, iban text uq, currency char3, balance money, status text, opened_on date, updated_at tstz",
        "transactions: txn_id bigserial pk, account_id bigint >bank_accounts, amount money, currency char3, direction char1, counterparty text, booked_at tstz idx, value_date date, reference text",
        "transfers: id bigserial pk, from_account_id bigint >bank_accounts, to_account_id bigint >bank_accounts, amount money, status text, created_at tstz idx, completed_at tstz",
        "cards: card_id bigserial pk, account_id bigint >bank_accounts, pan_last4 char(4), expires_on date, status text, issued_at tstz",
        "card_authorizations: id bigserial pk, card_id bigint >cards, merchant text, mcc smallint, amount money, approved bool, authorized_at tstz idx",
        "beneficiaries: id bigserial pk, customer_id bigint >customers, name text, iban text, created_at tstz",
        "ledger_entries: id bigserial pk, txn_id bigint >transactions, account_id bigint >bank_accounts, debit money, credit money, posted_at tstz idx",
        "fee_schedules: id serial pk, code text uq, description text, amount money, valid_from date",
        "statements: id bigserial pk, account_id bigint >bank_accounts, period_start date, period_end date, pdf_url text, generated_at tstz",
        "disputes: id bigserial pk, txn_id bigint >transactions, reason text, status text, opened_at tstz, resolved_at tstz, updated_at tstz",
    ],
    "crm": [
        "companies: id serial pk, name text, domain text, industry text, employees int, owner_id int, created_at tstz, updated_at tstz",
        "contacts: id serial pk, company_id int >companies, first_name text, last_name text, email text, phone text, title text, created_at tstz, updated_at tstz",
        "pipelines: id serial pk, name text, is_default bool",
        "deal_stages: id serial pk, pipeline_id int >pipelines, name text, position smallint, probability real",
        "deals: id serial pk, company_id int >companies, stage_id int >deal_stages, name text, amount money, close_date date, status text, created_at tstz, updated_at tstz",
        "activities: id bigserial pk, contact_id int >contacts, deal_id int >deals, kind text, subject text, due_at tstz, done bool, created_at tstz idx",
        "notes: id bigserial pk, contact_id int >contacts, body text, created_at tstz, updated_at tstz",
        "email_campaigns: id serial pk, name text, subject text, status text, scheduled_at tstz, created_at tstz",
        "campaign_recipients: campaign_id int pk >email_campaigns, contact_id int pk >contacts, opened_at tstz, clicked_at tstz",
        "leads: id serial pk, email text, source text, score smallint, status text, created_at tstz idx, updated_at tstz",
    ],
    "ecommerce": [
        "shoppers: id bigserial pk, email text uq, password_hash text, first_name text, last_name text, created_at tstz, last_login_at tstz",
        "categories: id serial pk, parent_id int >categories, name text, slug text uq",
        "products: id bigserial pk, sku text uq, name text, description text, price money, is_active bool, created_at tstz, updated_at tstz",
        "product_variants: id bigserial pk, product_id bigint >products, color text, size text, sku text uq, price money",
        "product_categories: product_id bigint pk >products, category_id int pk >categories",
        "carts: id bigserial pk, shopper_id bigint >shoppers, created_at tstz, updated_at tstz",
        "cart_items: id bigserial pk, cart_id bigint >carts, variant_id bigint >product_variants, quantity int, added_at tstz",
        "purchase_orders: id bigserial pk, shopper_id bigint >shoppers, total money, currency char3, status text, placed_at tstz idx, updated_at tstz",
        "order_lines: id bigserial pk, order_id bigint >purchase_orders, variant_id bigint >product_variants, quantity int, unit_price money",
        "shipments: id bigserial pk, order_id bigint >purchase_orders, carrier text, tracking_no text, shipped_at tstz, delivered_at tstz",
        "coupons: code text pk, discount_pct real, valid_from date, valid_to date, max_uses int, created_at tstz",
        "product_reviews: id bigserial pk, product_id bigint >products, shopper_id bigint >shoppers, rating smallint, body text, created_at tstz",
        "stock_levels: warehouse_id int pk, variant_id bigint pk >product_variants, on_hand int, reserved int, updated_at tstz",
    ],
    "saas": [
        "tenants: id uuid pk, name text, plan text, region text, created_at tstz, updated_at tstz",
        "workspaces: id uuid pk, tenant_id uuid >tenants, name text, slug text, created_at tstz",
        "memberships: workspace_id uuid pk >workspaces, account_id uuid pk, role text, invited_at tstz, joined_at tstz",
        "plans: id serial pk, code text uq, name text, monthly_price money, seats int",
        "subscriptions: id uuid pk, tenant_id uuid >tenants, plan_id int >plans, status text, current_period_end tstz, updated_at tstz",
        "invoices: id uuid pk, tenant_id uuid >tenants, number text uq, total money, currency char3, issued_at tstz idx, paid_at tstz",
        "invoice_lines: id bigserial pk, invoice_id uuid >invoices, description text, quantity int, amount money",
        "usage_records: id bigserial pk, subscription_id uuid >subscriptions, metric text, quantity bigint, recorded_at tstz idx",
        "feature_flags: key text pk, description text, enabled bool, rollout_pct smallint, updated_at tstz",
        "webhooks: id uuid pk, workspace_id uuid >workspaces, url text, secret text, events text[], created_at tstz",
        "webhook_deliveries: id bigserial pk, webhook_id uuid >webhooks, status_code smallint, attempt smallint, delivered_at tstz idx, response_ms int",
    ],
    "cms": [
        "authors: id serial pk, name text, email text, bio text, created_at tstz",
        "posts: id bigserial pk, author_id int >authors, title text, slug text uq, body text, status text, published_at tstz idx, updated_at tstz",
        "post_revisions: id bigserial pk, post_id bigint >posts, body text, edited_by int >authors, created_at tstz",
        "comments: id bigserial pk, post_id bigint >posts, parent_id bigint >comments, author_name text, body text, approved bool, created_at tstz idx",
        "media_assets: id bigserial pk, uploaded_by int >authors, url text, mime_type text, bytes bigint, created_at tstz",
        "tags: id serial pk, name text uq, slug text",
        "post_tags: post_id bigint pk >posts, tag_id int pk >tags",
        "menus: id serial pk, name text, location text",
        "menu_items: id serial pk, menu_id int >menus, label text, url text, position smallint",
        "pages: id serial pk, title text, slug text uq, body text, updated_at tstz",
    ],
    "auth": [
        "identities: id bigserial pk, username text uq, email text uq, password_hash text, is_active bool, created_at tstz, updated_at tstz",
        "sessions: id uuid pk, identity_id bigint >identities, ip inet, user_agent text, created_at tstz idx, expires_at tstz",
        "roles: id serial pk, name text uq, description text",
        "identity_roles: identity_id bigint pk >identities, role_id int pk >roles",
        "permissions: id serial pk, code text uq, description text",
        "role_permissions: role_id int pk >roles, permission_id int pk >permissions",
        "oauth_clients: id uuid pk, name text, redirect_uri text, secret_hash text, created_at tstz",
        "oauth_tokens: id bigserial pk, client_id uuid >oauth_clients, identity_id bigint >identities, scope text, expires_at tstz idx, revoked bool",
        "password_resets: id bigserial pk, identity_id bigint >identities, token_hash text, requested_at tstz, used_at tstz",
        "login_attempts: id bigserial pk, identity_id bigint >identities, ip inet, succeeded bool, attempted_at tstz idx",
        "mfa_devices: id bigserial pk, identity_id bigint >identities, kind text, label text, created_at tstz, last_used_at tstz",
    ],
    "hr": [
        "departments: id serial pk, name text, cost_center text, manager_id int",
        "employees: id serial pk, department_id int >departments, first_name text, last_name text, email text uq, hired_on date, salary money, status text, updated_at tstz",
        "job_titles: id serial pk, title text, grade smallint",
        "payroll_runs: id serial pk, period_start date, period_end date, status text, run_at tstz",
        "payslips: id bigserial pk, payroll_run_id int >payroll_runs, employee_id int >employees, gross money, net money, created_at tstz",
        "leave_requests: id bigserial pk, employee_id int >employees, kind text, starts_on date, ends_on date, status text, created_at tstz, updated_at tstz",
        "timesheets: id bigserial pk, employee_id int >employees, work_date date idx, hours real, project text, approved bool",
        "performance_reviews: id bigserial pk, employee_id int >employees, reviewer_id int >employees, score smallint, comments text, reviewed_at tstz",
    ],
    "support": [
        "agents: id serial pk, name text, email text, team text, active bool",
        "requesters: id bigserial pk, email text, name text, organization text, created_at tstz",
        "tickets: id bigserial pk, requester_id bigint >requesters, assignee_id int >agents, subject text, priority text, status text, created_at tstz idx, updated_at tstz",
        "ticket_messages: id bigserial pk, ticket_id bigint >tickets, author_kind text, body text, created_at tstz",
        "sla_policies: id serial pk, name text, first_response_minutes int, resolution_minutes int",
        "satisfaction_ratings: id bigserial pk, ticket_id bigint >tickets, score smallint, comment text, created_at tstz",
        "macros: id serial pk, title text, body text, created_by int >agents, updated_at tstz",
    ],
    "lending": [
        "borrowers: id bigserial pk, full_name text, email text, national_id text, credit_score smallint, created_at tstz, updated_at tstz",
        "loan_applications: id bigserial pk, borrower_id bigint >borrowers, amount money, term_months smallint, status text, submitted_at tstz idx, decided_at tstz",
        "loans: id bigserial pk, application_id bigint >loan_applications, principal money, rate real, disbursed_on date, status text, updated_at tstz",
        "repayment_schedules: id bigserial pk, loan_id bigint >loans, due_on date, amount money, paid bool",
        "repayments: id bigserial pk, loan_id bigint >loans, amount money, received_at tstz idx, method text",
        "collateral: id bigserial pk, loan_id bigint >loans, kind text, appraised_value money, appraised_on date",
    ],
    "library": [
        "branches: branch_id serial pk, name text, address_id int, phone text, last_update tstz",
        "books: book_id serial pk, title text, isbn text, publisher text, published_year smallint, language_code char2, last_update tstz",
        "writers: writer_id serial pk, first_name text, last_name text, last_update tstz",
        "book_writers: book_id int pk >books, writer_id int pk >writers, last_update tstz",
        "genres: genre_id serial pk, name text, last_update tstz",
        "book_genres: book_id int pk >books, genre_id int pk >genres, last_update tstz",
        "copies: copy_id serial pk, book_id int >books, branch_id int >branches, last_update tstz",
        "patrons: patron_id serial pk, branch_id int >branches, first_name text, last_name text, email text, active bool, created_on date, last_update tstz",
        "checkouts: checkout_id serial pk, checkout_date tstz idx, copy_id int >copies, patron_id int >patrons, returned_date tstz, clerk_id int, last_update tstz",
        "fines: fine_id serial pk, patron_id int >patrons, checkout_id int >checkouts, amount money, fine_date tstz, last_update tstz",
        "clerks: clerk_id serial pk, first_name text, last_name text, branch_id int >branches, username text, password text, active bool, last_update tstz",
        "regions: region_id serial pk, region text, last_update tstz",
    ],
    "logistics": [
        "carriers: id serial pk, name text, scac text, contact_email text",
        "drivers: id serial pk, carrier_id int >carriers, full_name text, license_no text, phone text, active bool",
        "vehicles: id serial pk, carrier_id int >carriers, plate text, capacity_kg int, updated_at tstz",
        "consignments: id bigserial pk, carrier_id int >carriers, origin text, destination text, weight_kg real, status text, created_at tstz, updated_at tstz",
        "tracking_events: id bigserial pk, consignment_id bigint >consignments, event_code text, location text, occurred_at tstz idx",
        "delivery_routes: id serial pk, driver_id int >drivers, vehicle_id int >vehicles, route_date date, stops int",
    ],
    "clinic": [
        "patients: id bigserial pk, first_name text, last_name text, date_of_birth date, email text, phone text, created_at tstz, updated_at tstz",
        "practitioners: id serial pk, full_name text, specialty text, license_no text",
        "clinics: id serial pk, name text, address text, city text",
        "appointments: id bigserial pk, patient_id bigint >patients, practitioner_id int >practitioners, clinic_id int >clinics, starts_at tstz idx, status text, updated_at tstz",
        "prescriptions: id bigserial pk, appointment_id bigint >appointments, drug text, dosage text, created_at tstz",
        "invoices_medical: id bigserial pk, appointment_id bigint >appointments, amount money, paid bool, issued_at tstz",
    ],
    "trading_ops": [
        "desks: id serial pk, name text, region text, head text",
        "traders: id serial pk, desk_id int >desks, full_name text, email text, is_active bool, updated_at tstz",
        "books_of_record: id serial pk, desk_id int >desks, code text uq, description text",
        "order_tickets: id bigserial pk, trader_id int >traders, book_id int >books_of_record, instrument text, side text, quantity num, limit_px num, state text, created_at tstz idx, updated_at tstz",
        "allocations_app: id bigserial pk, ticket_id bigint >order_tickets, account text, quantity num, allocated_at tstz",
        "bot_heartbeats: bot_id text pk, kind text, host text, state text, last_seen tstz, seq bigint, config jsonb, updated_at tstz",
        "service_health: service text pk, status text, checked_at tstz, details jsonb",
        "model_eval_log: id bigserial pk, model_name text, model_version text, metric text, value float, window_start tstz, window_end tstz, logged_at tstz",
        "signal_runs: id bigserial pk, model_name text, started_at tstz idx, finished_at tstz, status text, rows_scored int, notes text",
        "compliance_reviews: id bigserial pk, ticket_id bigint >order_tickets, reviewer text, outcome text, reviewed_at tstz",
        "audit_log: id bigserial pk, actor_id int >traders, action text, entity text, entity_id bigint, diff jsonb, created_at tstz idx, ip inet",
    ],
    # held out: these domains are never in train.jsonl
    "marketplace": [
        "sellers: id bigserial pk, shop_name text, email text uq, country char2, rating real, created_at tstz, updated_at tstz",
        "buyers: id bigserial pk, email text uq, display_name text, created_at tstz, last_seen_at tstz",
        "listings: id bigserial pk, seller_id bigint >sellers, title text, description text, price money, currency char3, status text, created_at tstz, updated_at tstz",
        "listing_photos: id bigserial pk, listing_id bigint >listings, url text, position smallint",
        "offers: id bigserial pk, listing_id bigint >listings, buyer_id bigint >buyers, amount money, status text, created_at tstz idx, updated_at tstz",
        "sales: id bigserial pk, listing_id bigint >listings, buyer_id bigint >buyers, amount money, sold_at tstz idx",
        "payouts: id bigserial pk, seller_id bigint >sellers, amount money, status text, requested_at tstz, paid_at tstz",
        "messages: id bigserial pk, sender_id bigint >buyers, listing_id bigint >listings, body text, sent_at tstz idx, read_at tstz",
        "disputes_mp: id bigserial pk, sale_id bigint >sales, reason text, status text, opened_at tstz, updated_at tstz",
    ],
    "education": [
        "students: id serial pk, first_name text, last_name text, email text uq, enrolled_on date, status text, updated_at tstz",
        "instructors: id serial pk, full_name text, email text, department text",
        "courses: id serial pk, instructor_id int >instructors, code text uq, title text, credits smallint, updated_at tstz",
        "enrollments: student_id int pk >students, course_id int pk >courses, enrolled_at tstz, grade text",
        "assignments: id serial pk, course_id int >courses, title text, due_at tstz, max_points smallint",
        "submissions: id bigserial pk, assignment_id int >assignments, student_id int >students, submitted_at tstz idx, score real, feedback text",
        "attendance: id bigserial pk, course_id int >courses, student_id int >students, session_date date idx, present bool",
    ],
    "wallet_app": [
        "wallet_users: id bigserial pk, phone text uq, email text, full_name text, kyc_level smallint, created_at tstz, updated_at tstz",
        "wallets: id bigserial pk, owner_id bigint >wallet_users, currency char3, balance num, frozen bool, updated_at tstz",
        "wallet_transfers: id bigserial pk, from_wallet_id bigint >wallets, to_wallet_id bigint >wallets, amount num, fee num, status text, created_at tstz idx",
        "topups: id bigserial pk, wallet_id bigint >wallets, amount num, provider text, status text, created_at tstz, confirmed_at tstz",
        "devices: id bigserial pk, owner_id bigint >wallet_users, platform text, push_token text, last_seen_at tstz",
        "referrals: id bigserial pk, referrer_id bigint >wallet_users, referee_id bigint >wallet_users, reward num, created_at tstz",
        "risk_flags: id bigserial pk, owner_id bigint >wallet_users, rule text, severity smallint, raised_at tstz, cleared_at tstz",
        "ml_score_log: id bigserial pk, model text, model_version text, score real, threshold real, scored_at tstz idx, decision text",
    ],
}
HOLDOUT_DOMAINS = {"marketplace", "education", "wallet_app"}

# App tables with no foreign keys that are still live: migrations, settings, queues, heartbeats.
APP_STANDALONE = [
    "schema_migrations: version text pk, applied_at tstz",
    "flyway_schema_history: installed_rank int pk, version text, description text, type text, script text, checksum int, installed_by text, installed_on ts, execution_time int, success bool",
    "app_settings: key text pk, value jsonb, updated_at tstz, updated_by text",
    "job_queue: id bigserial pk, queue text, payload jsonb, status text, attempts smallint, run_at tstz idx, locked_at tstz, updated_at tstz",
    "outbox_events: id bigserial pk, aggregate text, aggregate_id text, event_type text, payload jsonb, created_at tstz idx, published_at tstz",
    "currencies: code char3 pk, name text, minor_units smallint, is_active bool",
    "countries: code char2 pk, name text, region text, is_sanctioned bool",
    "holidays_calendar: day date pk, description text, is_half_day bool",
    "worker_heartbeats: worker_id text pk, host text, pid int, state text, last_beat tstz, updated_at tstz",
    "request_log: id bigserial pk, method text, path text, status smallint, duration_ms int, account_ref text, created_at tstz idx",
    "email_log: id bigserial pk, recipient text, template text, provider_id text, status text, sent_at tstz idx",
    "feature_toggles: name text pk, enabled bool, description text, updated_at tstz",
    "translation_strings: key text pk, locale text pk, value text, updated_at tstz",
]
APP_STANDALONE_HOLDOUT = [
    "celery_taskmeta: id serial pk, task_id text uq, status text, result bytea, date_done ts, traceback text",
    "experiment_assignments: id bigserial pk, experiment text, subject_ref text, variant text, assigned_at tstz idx",
    "model_calibration_history: id bigserial pk, model_version text, bucket smallint, predicted float, observed float, samples int, window_start tstz, logged_at tstz",
    "daemon_status: name text pk, state text, host text, heartbeat tstz, counter bigint, settings jsonb, updated_at tstz",
]

# ---------------------------------------------------------------- market / broker blueprints
MARKET_TABLES = [
    "equity_ticks: symbol text idx, ts tstz idx, bid num, ask num, bid_size num, ask_size num, exchange text",
    "quotes: ts tstz idx, instrument_id int, bid_px num, ask_px num, bid_qty num, ask_qty num, venue text, seq bigint",
    "nbbo_quotes: sip_ts tstz idx, ticker text, bid num, ask num, bid_size int, ask_size int, bid_exchange char1, ask_exchange char1, conditions text[]",
    "crypto_ticks: pair text idx, exchange_ts tstz idx, recv_ts tstz, bid num, ask num, bid_qty num, ask_qty num, venue text",
    "trade_prints: ts tstz idx, symbol text, price num, size num, venue text, trade_id text, conditions text[]",
    "exchange_trades: exchange text, symbol text, trade_time tstz idx, price num, quantity num, aggressor char1, trade_seq bigint",
    "bars_1m: symbol text pk, bar_time tstz pk, open num, high num, low num, close num, volume bigint, vwap num, trades int",
    "ohlcv_daily: ticker text pk, trade_date date pk, open num, high num, low num, close num, adj_close num, volume bigint",
    "candles_5m: market text pk, ts tstz pk, o num, h num, l num, c num, v num",
    "eod_prices: isin text pk, price_date date pk, close_price num, currency char3, source text",
    "order_book_l2: ts tstz idx, symbol text, venue text, side char1, level smallint, price num, size num",
    "depth_snapshots: id bigserial pk, symbol text, venue text, ts tstz idx, bids jsonb, asks jsonb, mid num, spread_bps num",
    "broker_fills: exec_id text pk, broker text, broker_order_id text, account text, symbol text, side char1, qty num, price num, ts tstz idx, venue text, liquidity char1, commission num, currency char3",
    "execution_reports: cl_ord_id text, exec_id text pk, ord_status char1, exec_type char1, symbol text, side char1, last_qty num, last_px num, cum_qty num, avg_px num, transact_time tstz idx, last_mkt text",
    "clearing_trades: trade_ref text pk, clearing_broker text, account text, isin text, quantity num, price num, trade_date date idx, settle_date date, fees num",
    "corporate_actions: id bigserial pk, isin text, action_type text, ex_date date idx, record_date date, pay_date date, ratio num, amount num, currency char3, vendor_ref text",
    "dividends_feed: symbol text pk, ex_date date pk, pay_date date, amount num, currency char3, frequency text, received_at tstz",
    "fx_rates: base_ccy char3 pk, quote_ccy char3 pk, as_of tstz pk, rate num, source text",
    "fx_fixings: fixing_date date pk, ccy_pair text pk, rate num, fixing text",
    "bloomberg_bpipe_ticks: ticker text, ts tstz idx, field text, value num, payload jsonb, received_at tstz",
    "refinitiv_updates: ric text, ts tstz idx, seq bigint, fields jsonb, received_at tstz",
    "vendor_quotes_raw: vendor text pk, symbol text pk, ts tstz pk, payload jsonb, received_at tstz",
    "risk_snapshots: snapshot_ts tstz pk, book text pk, instrument text pk, exposure num, delta num, gamma num, vega num, var_1d num, pnl num",
    "var_results: as_of date pk, portfolio text pk, confidence real pk, var num, expected_shortfall num, method text",
    "option_chains: underlying text, expiry date, strike num, put_call char1, ts tstz idx, bid num, ask num, iv num, delta num, open_interest bigint",
    "funding_rates: venue text pk, perp text pk, ts tstz pk, funding_rate num, mark_price num, index_price num",
    "yield_curves: curve text pk, as_of date pk, tenor text pk, yield num, source text",
    "index_levels: index_code text pk, ts tstz pk, level num, change_pct num",
    "security_master_feed: figi text pk, ticker text, isin text, cusip text, name text, exchange text, asset_class text, currency char3, vendor_updated_at tstz idx",
    "prices_history: instrument text, price_date date idx, price num, currency char3, source text",
    "md_snapshots: ts tstz idx, symbol text, last num, bid num, ask num, volume bigint, open_interest bigint",
]
MARKET_TABLES_HOLDOUT = [
    "l1_quotes: quote_ts tstz idx, sym text, bid_price num, ask_price num, bid_sz num, ask_sz num, mic text",
    "tape_prints: ts tstz idx, ric text, px num, qty num, mic text, qualifiers text",
    "minute_candles: instrument text pk, minute tstz pk, open num, high num, low num, close num, volume num",
    "ice_feed_messages: feed text, msg_seq bigint, ts tstz idx, instrument text, payload jsonb, received_at tstz",
    "broker_executions: execution_id text pk, venue text, symbol text, side char1, last_qty num, last_px num, exec_ts tstz idx, account text, fee num",
    "greeks_snapshots: as_of tstz pk, contract text pk, underlying text, delta num, gamma num, theta num, vega num, iv num",
    "ecb_reference_rates: rate_date date pk, currency char3 pk, rate num",
    "close_prices: symbol text, trade_date date idx, close num, volume bigint, exchange text",
]
MARKET_SCHEMAS = ["market", "marketdata", "md", "feeds", "refdata", "risk", "public", "public", "vendor", "quant"]

# ---------------------------------------------------------------- stale leftovers
STALE_COPY_PATTERNS = ["backup_{t}_{ymd}", "{t}_bak", "{t}_old", "old_{t}", "{t}_copy", "{t}_backup_{y}",
                       "tmp_{t}", "{t}_{ymd}", "{t}_snapshot_{ymd}", "legacy_{t}", "zz_{t}", "{t}_pre_migration"]
STALE_COPY_PATTERNS_HOLDOUT = ["{t}_bkp_{ymd}", "copy_of_{t}", "{t}_archive_{y}", "{t}_orig", "bak_{t}_{y}"]
STALE_STANDALONE = [
    "tmp_import_{y}: id int, batch_id text, source_file text, line_no int, raw_line text, parsed bool, imported_at ts",
    "csv_import_{ym}: row_no int, file_name text, payload text, loaded_at ts",
    "etl_load_{y}: load_id int, source text, record jsonb, status text, loaded_at ts",
    "import_staging_{y}: id serial pk, external_ref text, name text, email text, amount text, imported_at ts",
    "migration_fix_{y}: entity_id bigint, old_value text, new_value text, reason text, fixed_by text, fixed_at tstz",
    "zz_{thing}_fix_{y}: {thing}_id bigint, old_price num, new_price num, reason text, fixed_by text, fixed_at tstz",
    "data_patch_{ymd}: id bigint, column_name text, before_value text, after_value text, patched_at ts",
    "legacy_loyalty_points: id serial pk, member_ref bigint, points int, tier text, earned_at ts, expires_on date",
    "referral_program_v1: id serial pk, referrer_ref bigint, code text, reward money, created_at ts, redeemed_at ts",
    "old_kyc_checks_{y}: id serial pk, customer_ref bigint, check_type text, provider text, result text, score real, payload jsonb, checked_at tstz",
    "gamification_badges: id serial pk, badge text, member_ref bigint, awarded_at ts",
    "beta_signups: id serial pk, email text, source text, created_at ts",
    "survey_responses_{y}: id serial pk, respondent text, question text, answer text, submitted_at ts",
    "ticks_{y}_archive: symbol text, ts tstz, bid num, ask num, bid_size num, ask_size num, venue text",
    "old_bars_{y}: symbol text, bar_date date, open num, high num, low num, close num, volume bigint",
    "quotes_dump_{ymd}: ts tstz, symbol text, bid num, ask num, venue text",
    "{thing}_snapshot_{ymd}: id bigint, account_ref bigint, symbol text, quantity num, as_of date",
    "unused_promo_codes: code text pk, description text, discount_pct real, valid_from date, valid_to date, created_at ts",
    "test_orders_{y}: id serial pk, symbol text, qty int, price num, created_at ts",
    "scratch_{thing}: id bigint, note text, created_at ts",
]
STALE_STANDALONE_HOLDOUT = [
    "temp_upload_{ym}: line int, raw text, uploaded_at ts",
    "hotfix_{thing}_{y}: {thing}_id bigint, previous text, corrected text, ticket text, applied_at tstz",
    "deprecated_newsletter_signups: id serial pk, email text, list text, subscribed_at ts",
    "market_dump_{y}: ts tstz, ticker text, last num, volume bigint",
    "legacy_rewards_{y}: id serial pk, customer_ref bigint, reward text, points int, created_at ts",
]


# ---------------------------------------------------------------- building table records
def parse_blueprint(spec: str) -> tuple[str, list[dict]]:
    name, body = spec.split(":", 1)
    columns = []
    for raw in body.split(","):
        parts = raw.split()
        column = {"name": parts[0], "type_code": parts[1], "pk": "pk" in parts[2:], "uq": "uq" in parts[2:],
                  "idx": "idx" in parts[2:], "ref": next((p[1:] for p in parts[2:] if p.startswith(">")), None)}
        columns.append(column)
    return name.strip(), columns


def _type_of(code: str) -> str:
    if code.startswith("char(") or code.startswith("numeric("):
        return code.replace("char(", "character(")
    return TYPES[code]


def make_table(schema: str, name: str, columns: list[dict], *, keep_keys: bool = True,
               partitioned: bool = False) -> dict:
    out_columns = []
    for position, column in enumerate(columns, start=1):
        default = None
        if column["type_code"] in ("serial", "bigserial") and keep_keys:
            default = f"nextval('{schema}.{name}_{column['name']}_seq'::regclass)"
        out_columns.append({"name": column["name"], "position": position, "type": _type_of(column["type_code"]),
                            "nullable": not column["pk"], "default": default, "identity": None, "generated": None})
    pk = [c["name"] for c in columns if c["pk"]] if keep_keys else []
    indexes = []
    if pk:
        indexes.append({"name": f"{name}_pkey", "unique": True, "primary": True,
                        "definition": f"CREATE UNIQUE INDEX {name}_pkey ON {schema}.{name} USING btree ({', '.join(pk)})"})
    unique_keys = []
    if keep_keys:
        for column in columns:
            if column["uq"]:
                unique_keys.append([column["name"]])
                indexes.append({"name": f"{name}_{column['name']}_key", "unique": True, "primary": False,
                                "definition": f"CREATE UNIQUE INDEX {name}_{column['name']}_key ON {schema}.{name} USING btree ({column['name']})"})
        indexed = [c["name"] for c in columns if c["idx"]]
        if indexed:
            cols = ", ".join(indexed)
            indexes.append({"name": f"{name}_{'_'.join(indexed)}_idx", "unique": False, "primary": False,
                            "definition": f"CREATE INDEX {name}_{'_'.join(indexed)}_idx ON {schema}.{name} USING btree ({cols})"})
    return {"schema": schema, "name": name, "kind": "partitioned" if partitioned else "table", "partitions": [],
            "comment": None, "columns": out_columns, "primary_key": pk, "unique_keys": unique_keys,
            "foreign_keys": [], "referenced_by": [], "indexes": indexes, "triggers": [],
            "size": {}, "profile": {"columns": {}, "time_span": None, "key_range": None}, "usage": {}}


def link_foreign_keys(tables: dict[str, dict], blueprints: dict[str, list[dict]], rng: random.Random,
                      declared_share: float) -> None:
    """Declare the blueprint's references as FKs (some schemas skip FK constraints: declared_share)."""
    for name, columns in blueprints.items():
        for column in columns:
            target = column["ref"]
            if not target or target not in tables or rng.random() > declared_share:
                continue
            table, ref = tables[name], tables[target]
            table["foreign_keys"].append({
                "name": f"{name}_{column['name']}_fkey", "columns": [column["name"]], "ref_schema": ref["schema"],
                "ref_table": target, "ref_columns": ref["primary_key"][:1] or ["id"]})
            ref["referenced_by"].append({"schema": table["schema"], "table": name, "columns": [column["name"]]})


def log_uniform(rng: random.Random, low: float, high: float) -> int:
    return int(round(10 ** rng.uniform(math.log10(low), math.log10(high))))


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def time_key_column(table: dict) -> str | None:
    time_columns = {c["name"] for c in table["columns"] if c["type"].startswith(("timestamp", "date"))}
    for index in table["indexes"]:
        first = index["definition"].split("(", 1)[1].split(",")[0].strip(" )")
        if first in time_columns:
            return first
    for index in table["indexes"]:
        for col in index["definition"].split("(", 1)[1].rstrip(")").split(","):
            if col.strip() in time_columns:
                return col.strip()
    # no index on it: the scanner falls back to pg_stats histogram bounds of the first time column
    return next((c["name"] for c in table["columns"] if c["name"] in time_columns), None)


def fill_statistics(table: dict, label: str, scenario: str, db: dict, rng: random.Random, *,
                    rows: int, span_end_days: float | None, updates: bool) -> None:
    """Usage, size and time span, drawn the way each class and scenario looks in pg_stat_*."""
    now, fresh = db["scanned_at"], scenario == "fresh_load"
    table["size"] = {"rows_estimate": rows, "rows_exact": None, "table_bytes": rows * rng.randint(60, 400),
                     "total_bytes": rows * rng.randint(90, 700)}
    recent_reset = db["stats_reset"] is not None and (now - db["stats_reset"]).total_seconds() < 2 * 86400
    usage = {"seq_scan": 0, "idx_scan": 0, "n_tup_ins": 0, "n_tup_upd": 0, "n_tup_del": 0, "n_live_tup": rows,
             "last_vacuum": None, "last_autovacuum": None, "last_analyze": None, "last_autoanalyze": None,
             "heap_blks_read": 0, "heap_blks_hit": 0, "statement_calls": None}
    has_index = bool(table["indexes"])
    if label == "unknown":
        if fresh or recent_reset:
            usage["last_analyze"] = iso(now - timedelta(minutes=rng.randint(1, 30)))
        elif rng.random() < 0.6:
            usage["last_autoanalyze"] = iso(now - timedelta(days=rng.randint(400, 2500)))
        if not fresh and not recent_reset and rng.random() < 0.12:
            usage["seq_scan"] = rng.randint(1, 2)  # a pg_dump or a curious analyst
        if db["pg_stat_statements"]:
            usage["statement_calls"] = 0
    elif fresh:
        usage.update(seq_scan=rng.randint(1, 3), idx_scan=rng.randint(1, 2) if has_index else 0, n_tup_ins=rows,
                     last_analyze=iso(now - timedelta(minutes=rng.randint(1, 30))))
        if db["pg_stat_statements"]:
            usage["statement_calls"] = rng.randint(1, 4)
    elif scenario == "stats_reset":
        usage["last_autoanalyze"] = iso(now - timedelta(days=rng.randint(3, 60)))
        if db["pg_stat_statements"]:
            usage["statement_calls"] = 0
    else:
        busy = scenario == "busy"
        usage["seq_scan"] = log_uniform(rng, 3, 1e6 if busy else 300)
        usage["idx_scan"] = log_uniform(rng, 10, 1e9 if busy else 5000) if has_index else 0
        inserts = log_uniform(rng, max(1, rows / 50), max(2, rows)) if rows else 0
        usage["n_tup_ins"] = inserts
        if updates:
            usage["n_tup_upd"] = log_uniform(rng, 1, max(2, rows * (3 if busy else 0.2)))
            if rng.random() < 0.4:
                usage["n_tup_del"] = log_uniform(rng, 1, max(2, rows / 20))
        elif label == "broker" and rng.random() < 0.25:
            usage["n_tup_del"] = log_uniform(rng, 1, max(2, rows / 10))  # retention purge
        if db["pg_stat_statements"]:
            usage["statement_calls"] = log_uniform(rng, 5, 1e7 if busy else 2000)
        usage["last_autoanalyze"] = iso(now - timedelta(hours=rng.uniform(1, 24 * 20)))
        if inserts + usage["n_tup_upd"] > 1000:
            usage["last_autovacuum"] = iso(now - timedelta(hours=rng.uniform(1, 24 * 10)))
    usage["heap_blks_hit"] = usage["seq_scan"] * 100 + usage["idx_scan"] * 3
    table["usage"] = usage
    time_column = time_key_column(table)
    if time_column and span_end_days is not None:
        end = now - timedelta(days=span_end_days)
        start = end - timedelta(days=rng.uniform(20, 2000))
        table["profile"]["time_span"] = {"column": time_column, "min": iso(start), "max": iso(end)}
    key = table["primary_key"][0] if table["primary_key"] else None
    if key and any(c["name"] == key and c["type"] in ("integer", "bigint") for c in table["columns"]):
        table["profile"]["key_range"] = {"column": key, "min": 1, "max": max(rows, 1)}


# ---------------------------------------------------------------- whole synthetic databases
def build_database(db_id: str, domain: str, rng: random.Random, holdout: bool) -> list[dict]:
    scanned_at = datetime(2024, 6, 1, tzinfo=timezone.utc) + timedelta(days=rng.uniform(0, 900), hours=rng.uniform(0, 23))
    scenario_roll = rng.random()
    db = {"scanned_at": scanned_at, "pg_stat_statements": rng.random() < 0.6,
          "stats_reset": None, "fresh": scenario_roll < 0.2}
    if db["fresh"] or scenario_roll < 0.3:  # statistics zeroed minutes to hours ago
        db["stats_reset"] = scanned_at - timedelta(hours=rng.uniform(0.1, 30))
    elif rng.random() < 0.7:
        db["stats_reset"] = scanned_at - timedelta(days=rng.uniform(20, 700))
    recent_reset = db["stats_reset"] is not None and (scanned_at - db["stats_reset"]).total_seconds() < 2 * 86400
    legacy_app = domain == "library" or rng.random() < 0.12  # a live app whose data stopped growing years ago
    app_schema = rng.choice(["public", "public", "public", "app", domain.split("_")[0]])

    # application tables of the domain (+ a few standalone live ones)
    specs = APP_DOMAINS[domain]
    count = rng.randint(max(4, len(specs) - 6), len(specs))
    chosen = sorted(rng.sample(specs, count), key=specs.index)
    standalone_pool = APP_STANDALONE_HOLDOUT if holdout else APP_STANDALONE
    chosen += rng.sample(standalone_pool, rng.randint(1, 3))
    blueprints = dict(parse_blueprint(spec) for spec in chosen)
    tables = {name: make_table(app_schema, name, cols) for name, cols in blueprints.items()}
    for name, table in tables.items():
        if _is_log_like(name) and not db["fresh"] and rng.random() < 0.2:
            table["kind"] = "partitioned"
    # Many apps declare no FK constraints at all (ORMs), and a partitioned parent may carry
    # none when they are declared per partition; `<table>_id` columns still tie them in.
    declared_share = rng.choice([1.0, 1.0, 1.0, 0.85, 0.5, 0.0])
    link_foreign_keys(tables, {n: c for n, c in blueprints.items()
                               if tables[n]["kind"] == "table" or rng.random() < 0.5}, rng, declared_share)
    records = []
    for name, table in tables.items():
        scenario = "fresh_load" if db["fresh"] else rng.choice(["busy", "busy", "quiet", "quiet", "stats_reset"])
        if scenario == "stats_reset" and not recent_reset:
            # Zero counters under statistics that cover weeks would be a table nobody uses, not a reset.
            scenario = "quiet"
        is_log = _is_log_like(name)
        rows = log_uniform(rng, 1e5, 5e8) if is_log else log_uniform(rng, 5, 5e6)
        if legacy_app:
            span_end = rng.uniform(300, 2500) if rng.random() < 0.7 else rng.uniform(0, 3)
        else:
            span_end = rng.uniform(0, 2) if rng.random() < 0.9 else rng.uniform(3, 200)
        fill_statistics(table, "application", scenario, db, rng, rows=rows, span_end_days=span_end,
                        updates=not is_log and rng.random() < 0.85)
        why = {"busy": "live application table, read and written", "quiet": "application table, read now and then",
               "stats_reset": "application table in the FK web; usage zero only because statistics were just reset",
               "fresh_load": "freshly loaded application table in the FK web"}[scenario]
        records.append(_record(db_id, db, table, "application", why))

    # market / broker tables
    market_pool = MARKET_TABLES_HOLDOUT if holdout else MARKET_TABLES
    market_schema = rng.choice(MARKET_SCHEMAS)
    for spec in rng.sample(market_pool, rng.randint(1, 4) if not holdout else rng.randint(2, 4)):
        name, cols = parse_blueprint(spec)
        if rng.random() < 0.15:
            name = f"{name}_{(scanned_at - timedelta(days=rng.randint(0, 40))).strftime('%Y_%m')}"  # live monthly shard
        table = make_table(market_schema, name, cols, partitioned=rng.random() < 0.25)
        if rng.random() < 0.15 and "instrument_id" in [c["name"] for c in cols]:
            table["foreign_keys"].append({"name": f"{name}_instrument_id_fkey", "columns": ["instrument_id"],
                                          "ref_schema": market_schema, "ref_table": "instruments", "ref_columns": ["id"]})
        scenario = "fresh_load" if db["fresh"] else rng.choice(["busy", "quiet", "quiet"])
        small = any(w in name for w in ("corporate", "dividend", "fx_fixings", "var_results", "yield", "master", "ecb"))
        rows = log_uniform(rng, 1e3, 2e5) if small else log_uniform(rng, 2e5, 5e9)
        span_end = rng.uniform(0, 3) if rng.random() < 0.85 else rng.uniform(4, 60)
        fill_statistics(table, "broker", scenario, db, rng, rows=rows, span_end_days=span_end, updates=rng.random() < 0.08)
        records.append(_record(db_id, db, table, "broker", "market/broker data: time-keyed, insert-only, no application FKs"))

    # stale leftovers: copies of this database's own tables, and standalone junk
    copy_patterns = STALE_COPY_PATTERNS_HOLDOUT if holdout else STALE_COPY_PATTERNS
    standalone = STALE_STANDALONE_HOLDOUT if holdout else STALE_STANDALONE
    stale_specs = []
    for source in rng.sample(list(blueprints), min(len(blueprints), rng.randint(1, 3))):
        stale_specs.append((rng.choice(copy_patterns).replace("{t}", source), blueprints[source], app_schema))
    for spec in rng.sample(standalone, rng.randint(1, 3)):
        name, cols = parse_blueprint(spec.replace("{thing}", rng.choice(["trades", "orders", "accounts", "prices", "balances"])))
        stale_specs.append((name, cols, rng.choice([app_schema, app_schema, market_schema])))
    for pattern, cols, schema in stale_specs:
        then = scanned_at - timedelta(days=rng.uniform(400, 3000))
        name = pattern.replace("{ymd}", then.strftime("%Y%m%d")).replace("{ym}", then.strftime("%Y%m")).replace("{y}", then.strftime("%Y"))
        while name in ACCEPTANCE_NAMES:  # the acceptance inventories must stay unseen: a year earlier
            then -= timedelta(days=365)
            name = pattern.replace("{ymd}", then.strftime("%Y%m%d")).replace("{ym}", then.strftime("%Y%m")).replace("{y}", then.strftime("%Y"))
        keep_keys = rng.random() < 0.5
        table = make_table(schema, name, cols, keep_keys=keep_keys)
        if rng.random() < 0.08:  # someone once added a FK to a live table and forgot it
            live = rng.choice(list(tables))
            table["foreign_keys"].append({"name": f"{name}_fk", "columns": [cols[0]["name"]], "ref_schema": app_schema,
                                          "ref_table": live, "ref_columns": ["id"]})
        fill_statistics(table, "unknown", "stale", db, rng, rows=log_uniform(rng, 20, 5e6),
                        span_end_days=(scanned_at - then).days, updates=False)
        records.append(_record(db_id, db, table, "unknown", "stale leftover: not read, no live FKs, data ends " + then.strftime("%Y-%m")))
    return records


def _is_log_like(name: str) -> bool:
    return any(w in name for w in ("log", "event", "history", "attempts", "deliveries", "records", "transactions",
                                   "payments", "sales", "checkouts", "submissions", "repayments", "entries"))


def _record(db_id: str, db: dict, table: dict, label: str, why: str) -> dict:
    return {"instance": db_id, "scanned_at": iso(db["scanned_at"]),
            "stats_reset": iso(db["stats_reset"]) if db["stats_reset"] else None,
            **table, "label": label, "why": why}


def build_corpus() -> tuple[list[dict], list[dict]]:
    rng = random.Random(SEED)
    train, holdout = [], []
    train_domains = [d for d in APP_DOMAINS if d not in HOLDOUT_DOMAINS]
    for n in range(30):
        domain = train_domains[n % len(train_domains)]
        train += build_database(f"train_{n:02d}_{domain}", domain, rng, holdout=False)
    for n, domain in enumerate(sorted(HOLDOUT_DOMAINS) * 3):
        holdout += build_database(f"holdout_{n:02d}_{domain}", domain, rng, holdout=True)
    return train, holdout


def write_jsonl(path: Path, records: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    train, holdout = build_corpus()
    CORPUS_DIR.mkdir(exist_ok=True)
    write_jsonl(CORPUS_DIR / "train.jsonl", train)
    write_jsonl(CORPUS_DIR / "holdout.jsonl", holdout)
    for title, records in (("train", train), ("holdout", holdout)):
        counts = {label: sum(r["label"] == label for r in records) for label in ("application", "broker", "unknown")}
        print(f"{title}: {len(records)} tables {counts}")
