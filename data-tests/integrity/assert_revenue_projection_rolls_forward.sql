{{ config(meta={"dagster": {"ref": {"name": "revenue_projection"}}}) }}
{#-
    Every projection rolls forward to the cent: year 1 starts from the business's
    revenue in the ttm window ending at its as-of date (read from revenue_retention
    here, not from the projection's own inputs), each later year from the year before's
    ending revenue, ending = kept + new, every scenario of the seed has every year, and
    exactly one of them is the base, whose cumulative difference to itself is 0.
    Returns the rows where anything differs.
-#}
{%- set years = var('revenue_projection_years') -%}
with

projection as (

    select * from {{ ref('revenue_projection') }}

),

-- The projection's scenarios: the seed's rows without a segment_key (segment rows
-- are marts.segment_scenarios').
scenarios as (

    select * from {{ ref('scenarios') }}
    where segment_key is null

),

ttm_at_as_of as (

    select
        revenue_retention.business_id,
        revenue_retention.revenue

    from {{ ref('revenue_retention') }} as revenue_retention
    inner join {{ ref('int_snapshot_dates_spined') }} as snapshot_dates
        on revenue_retention.business_id = snapshot_dates.business_id
        and revenue_retention.period_end_date = snapshot_dates.as_of_date
    where revenue_retention.period_grain = 'ttm'
        and snapshot_dates.is_current

),

expected_rows as (

    select
        ttm_at_as_of.business_id,
        count(*) * {{ years }} as expected_rows

    from ttm_at_as_of
    cross join scenarios
    group by ttm_at_as_of.business_id

),

counted as (

    select
        business_id,
        count(*) as projection_rows,
        sum(case when is_base_scenario then 1 else 0 end) as base_rows,
        min(projection_year) as first_year,
        max(projection_year) as last_year

    from projection
    group by business_id

),

mismatched_counts as (

    select
        expected_rows.business_id,
        -- The whole business: a scenario or a year is missing, or the base is not one.
        cast(null as {{ dbt.type_string() }}) as scenario_name,
        cast(null as integer) as projection_year

    from expected_rows
    left join counted
        on expected_rows.business_id = counted.business_id
    where counted.projection_rows is null
        or counted.projection_rows <> expected_rows.expected_rows
        or counted.base_rows <> {{ years }}
        or counted.first_year <> 1
        or counted.last_year <> {{ years }}

),

broken_years as (

    select
        projection.business_id,
        projection.scenario_name,
        projection.projection_year

    from projection
    left join projection as year_before
        on projection.business_id = year_before.business_id
        and projection.scenario_name = year_before.scenario_name
        and projection.projection_year = year_before.projection_year + 1
    left join ttm_at_as_of
        on projection.business_id = ttm_at_as_of.business_id
    where projection.ending_revenue
        <> projection.revenue_kept + projection.new_revenue
        or (
            projection.projection_year = 1
            and projection.starting_revenue <> ttm_at_as_of.revenue
        )
        or (
            projection.projection_year > 1
            and projection.starting_revenue <> year_before.ending_revenue
        )
        or (
            projection.is_base_scenario
            and projection.cumulative_difference_to_base <> 0
        )

)

select * from mismatched_counts
union all
select * from broken_years
