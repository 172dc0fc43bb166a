with

customer_facts as (

    select * from {{ ref('int_customers_summarized') }}

),

customer_segments as (

    select * from {{ ref('int_customers_scored') }}

),

snapshot_dates as (

    select * from {{ ref('int_snapshot_dates_spined') }}

),

this_run as (

    select
        business_id,
        as_of_date

    from snapshot_dates
    where is_current

),

-- The segment at the last month end before the as-of date: what last month's report said.
previous_month_end as (

    select
        snapshot_dates.business_id,
        max(snapshot_dates.as_of_date) as as_of_date

    from snapshot_dates
    inner join this_run
        on snapshot_dates.business_id = this_run.business_id
    where snapshot_dates.is_month_end
        and snapshot_dates.as_of_date < this_run.as_of_date
    group by snapshot_dates.business_id

),

previous_segments as (

    select customer_segments.*
    from customer_segments
    inner join previous_month_end
        on customer_segments.business_id = previous_month_end.business_id
        and customer_segments.as_of_date = previous_month_end.as_of_date

),

final as (

    select
        customer_facts.*,
        ---------- scores and segment
        customer_segments.r_score,
        customer_segments.f_score,
        customer_segments.m_score,
        customer_segments.t_score,
        customer_segments.segment,
        previous_segments.segment as previous_segment,
        customer_segments.segment_reason

    from customer_facts
    inner join this_run
        on customer_facts.business_id = this_run.business_id
        and customer_facts.as_of_date = this_run.as_of_date
    inner join customer_segments
        on customer_facts.as_of_date = customer_segments.as_of_date
        and customer_facts.business_id = customer_segments.business_id
        and customer_facts.customer_id = customer_segments.customer_id
    left join previous_segments
        on customer_facts.business_id = previous_segments.business_id
        and customer_facts.customer_id = previous_segments.customer_id

)

select * from final
