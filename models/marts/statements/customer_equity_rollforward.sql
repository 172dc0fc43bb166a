{#-
    Why each segment's customer equity moved in the month: opening equity (the balance
    sheet at the month end before) + customers acquired + customers moving in from other
    segments - customers moving out - customers lost (moved to the hibernating segment)
    + revaluation (what changed in the expectations of the customers that stayed, or in a
    mover's since it arrived) = closing equity (the balance sheet at the month end).
    Built customer by customer from marts.customer_statement, so every row closes to the
    cent. Movers move at their opening equity; their change in the month is revaluation in
    the segment they arrive in. A customer's first purchase moves it from 'No purchase'
    (or from nowhere) into its first segment as acquired, at its closing equity.
    Months whose month before is a statement month too (all but the oldest).
-#}
{%- set measures = [
    'opening', 'acquired', 'moved_in', 'moved_out', 'lost', 'revaluation', 'closing'
] -%}
with

statements as (

    select * from {{ ref('customer_statement') }}

),

segment_rules as (

    select * from {{ ref('segment_rules') }}

),

lost_segments as (

    select segment
    from segment_rules
    where segment_key = 'hibernating'

),

-- The statement months come from the calendar, not from the customers: a business
-- whose first customer arrives inside the window still has the month before it.
statement_months as (

    select
        business_id,
        as_of_date as month_end_date

    from {{ ref('int_snapshot_dates_spined') }}
    where is_month_end

),

-- The months whose month before is on the statements too.
bridged_months as (

    select
        statement_months.business_id,
        statement_months.month_end_date

    from statement_months
    inner join statement_months as months_before
        on statement_months.business_id = months_before.business_id
        and months_before.month_end_date
        = {{ month_end_before('statement_months.month_end_date', 1) }}

),

-- Each customer at the month end and, when it was on the statements then, at the month
-- end before.
paired as (

    select
        statements.business_id,
        statements.month_end_date,
        statements.customer_id,
        statements.segment,
        statements.customer_equity,
        last_month.segment as segment_before,
        coalesce(last_month.customer_equity, 0) as equity_before,
        last_month.customer_id is not null as was_on_file,
        lost_segments.segment is not null as is_lost

    from statements
    inner join bridged_months
        on statements.business_id = bridged_months.business_id
        and statements.month_end_date = bridged_months.month_end_date
    left join statements as last_month
        on statements.business_id = last_month.business_id
        and statements.customer_id = last_month.customer_id
        and last_month.month_end_date
        = {{ month_end_before('statements.month_end_date', 1) }}
    left join lost_segments
        on statements.segment = lost_segments.segment

),

classified as (

    select
        paired.*,
        case
            when paired.was_on_file and paired.segment_before = paired.segment
                then 'stayed'
            when
                not paired.was_on_file
                or (
                    paired.segment_before = 'No purchase'
                    and paired.segment <> 'No purchase'
                )
                then 'acquired'
            else 'moved'
        end as movement

    from paired

),

-- The bridge's lines a customer may add to; `leaving` is lost or moved_out.
bridge_lines as (

    {% for line in ['opening', 'closing', 'revaluation', 'acquired', 'leaving',
                    'moved_in'] -%}
    select '{{ line }}' as line_kind
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

),

-- One row per customer and line of the bridge it adds to. One scan of the customers
-- joined to the lines, not a union of one select per line: Spark inlines a CTE at
-- each reference, so six selects recomputed everything above six times.
movements as (

    select
        classified.business_id,
        classified.month_end_date,
        -- Opening: where the customer stood at the month end before. Leaving: a prospect
        -- that bought leaves 'No purchase'; a mover leaves its segment, as lost when it
        -- went to the hibernating segment.
        case
            when bridge_lines.line_kind in ('opening', 'leaving')
                then classified.segment_before
            else classified.segment
        end as segment,
        case
            when bridge_lines.line_kind <> 'leaving' then bridge_lines.line_kind
            when classified.movement = 'moved' and classified.is_lost then 'lost'
            else 'moved_out'
        end as bridge_line,
        case bridge_lines.line_kind
            when 'opening' then classified.equity_before
            when 'closing' then classified.customer_equity
            when 'revaluation' then classified.customer_equity - classified.equity_before
            when 'acquired' then classified.customer_equity
            when 'leaving' then -classified.equity_before
            when 'moved_in' then classified.equity_before
        end as amount

    from classified
    inner join bridge_lines
        on case bridge_lines.line_kind
            when 'opening' then classified.was_on_file
            when 'closing' then true
            when 'revaluation' then classified.movement in ('stayed', 'moved')
            when 'acquired' then classified.movement = 'acquired'
            when 'leaving'
                then (
                    classified.movement = 'moved'
                    or (classified.movement = 'acquired' and classified.was_on_file)
                )
            when 'moved_in' then classified.movement = 'moved'
        end

),

by_segment as (

    select
        business_id,
        month_end_date,
        segment,
        -- sqlfluff cannot indent SQL inside a Jinja loop in a select list (LT02).
        -- noqa: disable=LT02
        {% for measure in measures -%}
        sum(case when bridge_line = '{{ measure }}' then amount else 0 end)
            as {{ measure }}_equity,
        sum(case when bridge_line = '{{ measure }}' then 1 else 0 end)
            as {{ measure }}_customers{% if not loop.last %},{% endif %}
        {% endfor %}
    -- noqa: enable=LT02
    from movements
    group by business_id, month_end_date, segment

),

final as (

    select
        ---------- keys
        by_segment.business_id,
        by_segment.month_end_date,
        by_segment.segment,
        ---------- attributes
        cast(segment_rules.priority as {{ dbt.type_int() }}) as segment_priority,
        ---------- the bridge (home currency): opening + the five = closing
        {% for measure in measures -%}
        {%- set name = measure if measure == 'revaluation' else measure ~ '_equity' -%}
        cast(by_segment.{{ measure }}_equity as decimal(18, 2)) as {{ name }},
        {% endfor -%}
        ---------- the customers behind each line
        -- noqa: disable=LT02
        {% for measure in measures if measure != 'revaluation' -%}
        cast(by_segment.{{ measure }}_customers as {{ dbt.type_int() }})
            as {{ measure }}_customers{% if not loop.last %},{% endif %}
        {% endfor %}
    -- noqa: enable=LT02
    from by_segment
    left join segment_rules
        on by_segment.segment = segment_rules.segment

)

select * from final
