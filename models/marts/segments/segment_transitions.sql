with

segment_history as (

    select * from {{ ref('segment_history') }}

),

-- Each month end with the one before it, per business (a business may start later).
month_pairs as (

    select
        business_id,
        month_end_date,
        lag(month_end_date) over (
            partition by business_id order by month_end_date
        ) as previous_month_end_date

    from (
        select distinct
            business_id,
            month_end_date
        from segment_history
    ) as months

),

moves as (

    select
        month_pairs.business_id,
        month_pairs.month_end_date,
        previous.segment as from_segment,
        current_month.segment as to_segment

    from month_pairs
    inner join segment_history as current_month
        on month_pairs.business_id = current_month.business_id
        and month_pairs.month_end_date = current_month.month_end_date
    left join segment_history as previous
        on month_pairs.business_id = previous.business_id
        and month_pairs.previous_month_end_date = previous.month_end_date
        and current_month.customer_id = previous.customer_id
    where month_pairs.previous_month_end_date is not null

),

final as (

    select
        business_id,
        month_end_date,
        -- a customer's first month on the sheet comes from "(first purchase)"
        coalesce(from_segment, '(first purchase)') as from_segment,
        to_segment,
        cast(count(*) as integer) as customers

    from moves
    group by
        business_id,
        month_end_date,
        coalesce(from_segment, '(first purchase)'),
        to_segment

)

select * from final
