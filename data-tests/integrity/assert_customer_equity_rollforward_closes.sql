{{ config(meta={"dagster": {"ref": {"name": "customer_equity_rollforward"}}}) }}
{#-
    The roll-forward is a bridge between two balance sheets: in every row opening + the
    five movements = closing, the closing equity is the segment balance sheet's at the
    month end and the opening equity its balance sheet's at the month end before, for
    every segment on either balance sheet. Returns what does not tie.
-#}

with

rollforward as (

    select * from {{ ref('customer_equity_rollforward') }}

),

balance_sheet as (

    select * from {{ ref('segment_balance_sheet') }}

),

month_ends as (

    select
        business_id,
        as_of_date as month_end_date

    from {{ ref('int_snapshot_dates_spined') }}
    where is_month_end

),

-- The months the roll-forward covers: every statement month end with the month end
-- before a statement month end too.
bridged as (

    select
        this_month.business_id,
        this_month.month_end_date,
        last_month.month_end_date as month_before_date

    from month_ends as this_month
    inner join month_ends as last_month
        on this_month.business_id = last_month.business_id
        and last_month.month_end_date
        = {{ month_end_before('this_month.month_end_date', 1) }}

),

-- Each segment's equity at both ends of each bridged month, from the balance sheets.
ends as (

    select
        bridged.business_id,
        bridged.month_end_date,
        balance_sheet.segment,
        0 as opening_equity,
        balance_sheet.customer_equity as closing_equity

    from bridged
    inner join balance_sheet
        on bridged.business_id = balance_sheet.business_id
        and bridged.month_end_date = balance_sheet.month_end_date

    union all

    select
        bridged.business_id,
        bridged.month_end_date,
        balance_sheet.segment,
        balance_sheet.customer_equity as opening_equity,
        0 as closing_equity

    from bridged
    inner join balance_sheet
        on bridged.business_id = balance_sheet.business_id
        and bridged.month_before_date = balance_sheet.month_end_date

),

sheet_ends as (

    select
        business_id,
        month_end_date,
        segment,
        sum(opening_equity) as opening_equity,
        sum(closing_equity) as closing_equity

    from ends
    group by business_id, month_end_date, segment

),

compared as (

    select
        coalesce(rollforward.business_id, sheet_ends.business_id) as business_id,
        coalesce(rollforward.month_end_date, sheet_ends.month_end_date) as month_end_date,
        coalesce(rollforward.segment, sheet_ends.segment) as segment,
        rollforward.opening_equity,
        sheet_ends.opening_equity as sheet_opening_equity,
        rollforward.closing_equity,
        sheet_ends.closing_equity as sheet_closing_equity,
        rollforward.opening_equity + rollforward.acquired_equity
        + rollforward.moved_in_equity + rollforward.moved_out_equity
        + rollforward.lost_equity + rollforward.revaluation as bridged_equity

    from rollforward
    full outer join sheet_ends
        on rollforward.business_id = sheet_ends.business_id
        and rollforward.month_end_date = sheet_ends.month_end_date
        and rollforward.segment = sheet_ends.segment

)

select * from compared
where opening_equity is null
    or sheet_opening_equity is null
    or opening_equity <> sheet_opening_equity
    or closing_equity <> sheet_closing_equity
    or bridged_equity <> closing_equity
