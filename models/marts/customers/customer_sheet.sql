with

customer_facts as (

    select * from {{ ref('int_customers_summarized') }}

),

customer_segments as (

    select * from {{ ref('int_customers_scored') }}

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
        customer_segments.segment_reason

    from customer_facts
    inner join customer_segments
        on customer_facts.business_id = customer_segments.business_id
        and customer_facts.customer_id = customer_segments.customer_id

)

select * from final
