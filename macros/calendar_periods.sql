{#-
    Calendar periods as whole numbers, so that "the period before" is plain arithmetic
    (period_number - 1) on every warehouse, without a date spine join.

    A month number counts months since January 1900. A period of a grain is `months`
    long and starts `shift` months after January: a fiscal year that starts in April
    is 12 months shifted by 3. The shift may be a column expression: the fiscal year's
    names the business's fiscal_year_start_month column, unqualified, so the query
    using it must have that column in scope once.
-#}
{% macro calendar_grains() -%}
    {{ return([
        {'name': 'month', 'months': 1, 'shift': '0'},
        {'name': 'quarter', 'months': 3, 'shift': '0'},
        {'name': 'year', 'months': 12, 'shift': '0'},
        {'name': 'fiscal_year', 'months': 12, 'shift': 'fiscal_year_start_month - 1'},
    ]) }}
{%- endmacro %}

{% macro month_number(date_expression) -%}
    {{ dbt.datediff("cast('1900-01-01' as date)", date_expression, 'month') }}
{%- endmacro %}

{#- Days since 1900-01-01: dates as numbers, for sums of amount x days. -#}
{% macro day_number(date_expression) -%}
    {{ dbt.datediff("cast('1900-01-01' as date)", date_expression, 'day') }}
{%- endmacro %}

{#- Weeks since Monday 1900-01-01 (a Monday): Monday-to-Sunday weeks as whole numbers,
    the same on every warehouse (no date_trunc('week'), whose first weekday is the
    warehouse's to choose). -#}
{% macro week_number(date_expression) -%}
    cast(floor({{ day_number(date_expression) }} / 7.0) as integer)
{%- endmacro %}

{#- The Monday that starts a week, from its week number. -#}
{% macro week_start_date(week_number) -%}
    cast({{ dbt.dateadd(
        'day', '(' ~ week_number ~ ') * 7', "cast('1900-01-01' as date)"
    ) }} as date)
{%- endmacro %}

{% macro period_number(month_number, grain) -%}
    cast(floor(
        ({{ month_number }} - ({{ grain.shift }})) / {{ grain.months }}.0
    ) as integer)
{%- endmacro %}

{#- The first day of a period, from its period number. -#}
{% macro period_start_date(period_number, grain) -%}
    cast({{ dbt.dateadd(
        'month',
        '(' ~ period_number ~ ') * ' ~ grain.months ~ ' + (' ~ grain.shift ~ ')',
        "cast('1900-01-01' as date)"
    ) }} as date)
{%- endmacro %}

{#- The last day of a period: the day before the next period starts. -#}
{% macro period_end_date(period_number, grain) -%}
    cast({{ dbt.dateadd(
        'day',
        -1,
        dbt.dateadd(
            'month',
            '(' ~ period_number ~ ' + 1) * ' ~ grain.months ~ ' + (' ~ grain.shift ~ ')',
            "cast('1900-01-01' as date)"
        )
    ) }} as date)
{%- endmacro %}

{#-
    Whole numbers 1 to `upper_bound` in a column `generated_number`: dbt's
    generate_series builds them with power(), a float on most warehouses. Periods are
    counted from a business's first one, so 2,400 (two hundred years of months) is
    more history than any export carries.
-#}
{% macro period_counter(upper_bound=2400) -%}
    select cast(generated_number as integer) as generated_number
    from ({{ dbt.generate_series(upper_bound) }}) as series
{%- endmacro %}

{#-
    The share (0-1) of a period's days on or after the day the data starts: 1 when the
    data starts on or before the period's first day, 0 when it starts after its last.
    An export that begins mid-period holds only part of that period's sales, and a
    ratio on such a period would compare a fragment with a whole (DECISIONLOG.md).
-#}
{% macro data_coverage(period_start_date, period_end_date, data_start_date) -%}
    cast(
        case
            when {{ data_start_date }} <= {{ period_start_date }} then 1
            when {{ data_start_date }} > {{ period_end_date }} then 0
            else 1.0 * (
                {{ dbt.datediff(data_start_date, period_end_date, 'day') }} + 1
            ) / (
                {{ dbt.datediff(period_start_date, period_end_date, 'day') }} + 1
            )
        end as decimal(18, 6)
    )
{%- endmacro %}

{#- The last day of the month `months_back` months before the month of `date_expression`
    (1: the month before it): the first day of the month after that one, minus one day. Shared by the calendar models so that the snapshot
    month ends and the segments' look-back month ends are the same dates. -#}
{% macro month_end_before(date_expression, months_back) -%}
    cast(
        {{ dbt.dateadd(
            'day',
            -1,
            dbt.dateadd('month', '1 - ' ~ months_back, dbt.date_trunc('month', date_expression))
        ) }} as date
    )
{%- endmacro %}
