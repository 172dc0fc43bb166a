{#-
    What retention is worth: each business's revenue over the next years under the
    scenarios of seeds/scenarios.csv, from its measured TTM NRR and new-revenue share
    (the ttm window of revenue_retention that ends at the as-of date). Each year:
    revenue kept = starting revenue x NRR, new revenue = starting revenue x new-revenue
    share, ending = kept + new, and the next year starts from that ending revenue.

    Rounded as an accountant's projection table is: each year's kept and new revenue to
    the cent (half away from zero, to_money), and the next year starts from the rounded
    ending revenue, so every row adds up as printed. Each year therefore needs the one
    before: the years are a chain of CTEs, one per year (var revenue_projection_years),
    rather than a year spine with a power of the growth factor, which would be a float
    and rounded once (DECISIONLOG.md).
-#}
{%- set years = var('revenue_projection_years') -%}
with

revenue_retention as (

    select * from {{ ref('revenue_retention') }}

),

snapshot_dates as (

    select * from {{ ref('int_snapshot_dates_spined') }}

),

-- The seed's business-wide scenarios only: a row with a segment_key is a segment
-- scenario of marts.segment_scenarios. Moving this projection's starting revenue by a
-- segment's sales would run the won or lost customers at the business's NRR, which is
-- not their segment's (DECISIONLOG.md "Segment scenarios").
scenarios as (

    select * from {{ ref('scenarios') }}
    where segment_key is null

),

as_of as (

    select
        business_id,
        as_of_date

    from snapshot_dates
    where is_current

),

-- The latest complete TTM window: ttm windows end at the as-of date. The new-revenue
-- share is new customers' revenue of the window / starting revenue (the window
-- before's), given where NRR is: on a base the data covers wholly.
measured as (

    select
        revenue_retention.business_id,
        revenue_retention.home_currency,
        as_of.as_of_date,
        revenue_retention.revenue as ttm_revenue,
        revenue_retention.nrr,
        case
            when revenue_retention.nrr is not null
                then {{ share_of(
                    'revenue_retention.new_revenue',
                    'revenue_retention.starting_revenue'
                ) }}
        end as new_revenue_share

    from revenue_retention
    inner join as_of
        on revenue_retention.business_id = as_of.business_id
        and revenue_retention.period_end_date = as_of.as_of_date
    where revenue_retention.period_grain = 'ttm'

),

-- A blank rate in the seed means the business's measured one; nrr_change moves NRR
-- by so many points. Neither rate goes below 0: nobody keeps less than nothing. A
-- rate stays null where the scenario needs a measured one the data cannot give.
scenario_rates as (

    select
        measured.business_id,
        measured.home_currency,
        measured.as_of_date,
        measured.ttm_revenue,
        scenarios.scenario_name,
        scenarios.is_base,
        cast(
            case
                when
                    coalesce(scenarios.nrr, measured.nrr)
                    + coalesce(scenarios.nrr_change, 0) < 0
                    then 0
                else
                    coalesce(scenarios.nrr, measured.nrr)
                    + coalesce(scenarios.nrr_change, 0)
            end as decimal(18, 6)
        ) as nrr,
        cast(
            case
                when
                    coalesce(scenarios.new_revenue_share, measured.new_revenue_share)
                    < 0
                    then 0
                else coalesce(scenarios.new_revenue_share, measured.new_revenue_share)
            end as decimal(18, 6)
        ) as new_revenue_share

    from measured
    cross join scenarios

),

-- Year 1 starts from the TTM revenue at the as-of date, each later year from the
-- ending revenue of the year before.
{% for year in range(1, years + 1) -%}
{%- set before = 'year_' ~ (year - 1) -%}
{%- set starting = before ~ '.ending_revenue' if year > 1
    else 'scenario_rates.ttm_revenue' -%}
year_{{ year }} as (

    select
        scenario_rates.business_id,
        scenario_rates.scenario_name,
        {{ year }} as projection_year,
        {{ starting }} as starting_revenue,
        {{ to_money(starting ~ ' * scenario_rates.nrr') }} as revenue_kept,
        {{ to_money(starting ~ ' * scenario_rates.new_revenue_share') }}
            as new_revenue,
        cast(
            {{ to_money(starting ~ ' * scenario_rates.nrr') }}
            + {{ to_money(starting ~ ' * scenario_rates.new_revenue_share') }}
            as decimal(18, 2)
        ) as ending_revenue

    from scenario_rates
    {% if year > 1 %}
    inner join {{ before }}
        on scenario_rates.business_id = {{ before }}.business_id
        and scenario_rates.scenario_name = {{ before }}.scenario_name
    {% endif %}

),

{% endfor -%}
projected as (

    {% for year in range(1, years + 1) -%}
    select * from year_{{ year }}
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

),

base_years as (

    select
        projected.business_id,
        projected.projection_year,
        projected.ending_revenue

    from projected
    inner join scenario_rates
        on projected.business_id = scenario_rates.business_id
        and projected.scenario_name = scenario_rates.scenario_name
    where scenario_rates.is_base

),

final as (

    select
        ---------- keys
        projected.business_id,
        projected.scenario_name,
        cast(projected.projection_year as integer) as projection_year,
        ---------- attributes
        scenario_rates.is_base as is_base_scenario,
        scenario_rates.as_of_date,
        scenario_rates.home_currency,
        ---------- rates
        scenario_rates.nrr,
        scenario_rates.new_revenue_share,
        ---------- amounts
        cast(projected.starting_revenue as decimal(18, 2)) as starting_revenue,
        cast(projected.revenue_kept as decimal(18, 2)) as revenue_kept,
        cast(projected.new_revenue as decimal(18, 2)) as new_revenue,
        cast(projected.ending_revenue as decimal(18, 2)) as ending_revenue,
        cast(
            sum(projected.ending_revenue - base_years.ending_revenue) over (
                partition by projected.business_id, projected.scenario_name
                order by projected.projection_year
                rows between unbounded preceding and current row
            ) as decimal(18, 2)
        ) as cumulative_difference_to_base

    from projected
    inner join scenario_rates
        on projected.business_id = scenario_rates.business_id
        and projected.scenario_name = scenario_rates.scenario_name
    left join base_years
        on projected.business_id = base_years.business_id
        and projected.projection_year = base_years.projection_year

)

select * from final
