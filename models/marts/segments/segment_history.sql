with

customer_segments as (

    select * from {{ ref('int_customers_scored') }}

),

snapshot_dates as (

    select * from {{ ref('int_snapshot_dates_spined') }}

),

final as (

    select
        ---------- keys
        customer_segments.business_id,
        customer_segments.customer_id,
        customer_segments.as_of_date as month_end_date,
        ---------- segment
        customer_segments.segment,
        customer_segments.r_score,
        customer_segments.f_score,
        customer_segments.m_score,
        customer_segments.t_score

    from customer_segments
    inner join snapshot_dates
        on customer_segments.business_id = snapshot_dates.business_id
        and customer_segments.as_of_date = snapshot_dates.as_of_date
    where snapshot_dates.is_month_end

)

select * from final
