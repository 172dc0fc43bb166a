{#-
    Who stands above each customer, through referrals and through parent accounts: one
    row per business, relation (`referral`, `parent`), customer and ancestor, at the
    fewest steps apart. A referrer's whole chain is every customer with the referrer as
    an ancestor; a customer's account is its top parent.
    The walk is unrolled to relationship_max_depth joins instead of a recursive CTE:
    Spark SQL before 4.1 has no recursive CTEs, and a fixed depth also ends any loop in
    the data (A refers B refers A) without a cycle check. A loop shows up as a customer
    that is its own ancestor; readers leave that pair out or use it to find the loop.
    Links to ids that are not customers of the business are dropped (the loader does
    not check them: docs/contract.md).
-#}
{%- set max_depth = var('relationship_max_depth') -%}

with

customers as (

    select * from {{ ref('stg_customers') }}

),

links as (

    {% for relation, column in [
        ('referral', 'referred_by_customer_id'),
        ('parent', 'parent_customer_id'),
    ] -%}
    select
        customers.business_id,
        '{{ relation }}' as relation,
        customers.customer_id,
        customers.{{ column }} as linked_customer_id

    from customers
    inner join customers as linked
        on customers.business_id = linked.business_id
        and customers.{{ column }} = linked.customer_id
    {% if not loop.last %}
    union all
    {% endif %}
    {%- endfor %}

),

{% for n in range(1, max_depth + 1) %}
steps_{{ n }} as (

    {% if n == 1 -%}
    select
        business_id,
        relation,
        customer_id,
        linked_customer_id as ancestor_customer_id,
        1 as steps

    from links
    {%- else -%}
    select
        steps_{{ n - 1 }}.business_id,
        steps_{{ n - 1 }}.relation,
        steps_{{ n - 1 }}.customer_id,
        links.linked_customer_id as ancestor_customer_id,
        {{ n }} as steps

    from steps_{{ n - 1 }}
    inner join links
        on steps_{{ n - 1 }}.business_id = links.business_id
        and steps_{{ n - 1 }}.relation = links.relation
        and steps_{{ n - 1 }}.ancestor_customer_id = links.customer_id
    -- Past a loop every step only goes round it again: stop there.
    where steps_{{ n - 1 }}.ancestor_customer_id <> steps_{{ n - 1 }}.customer_id
    {%- endif %}

),
{% endfor %}

unioned as (

    {% for n in range(1, max_depth + 1) -%}
    select * from steps_{{ n }}
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

),

final as (

    select
        ---------- keys
        business_id,
        relation,
        customer_id,
        ancestor_customer_id,
        ---------- distance
        cast(min(steps) as {{ dbt.type_int() }}) as steps

    from unioned
    group by business_id, relation, customer_id, ancestor_customer_id

)

select * from final
