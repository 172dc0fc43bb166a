{#-
    Each customer's account: the top of its parent_customer_id chain (a head office and
    its subsidiaries are one account). A customer with no parent is its own account.
    A loop in the data (A's parent is B, B's parent is A) has no top: the loop's
    smallest customer id stands for it, so every member lands in one account. A chain
    longer than relationship_max_depth stops at the furthest parent reached.
-#}

with

customers as (

    select * from {{ ref('stg_customers') }}

),

parents as (

    select * from {{ ref('int_customer_relations_closed') }}
    where relation = 'parent'

),

-- Customers in a loop are their own ancestors.
loop_members as (

    select
        business_id,
        customer_id

    from parents
    where ancestor_customer_id = customer_id

),

-- An ancestor is the top when it has no parent of its own in the business. A chain
-- that ends in a loop has no top: it goes to the loop's smallest customer id, the same
-- account as the loop's own members.
tops as (

    select
        parents.business_id,
        parents.customer_id,
        max(
            case
                when
                    ancestor_parents.customer_id is null
                    then parents.ancestor_customer_id
            end
        ) as top_customer_id,
        min(loop_members.customer_id) as loop_customer_id,
        max(parents.steps) as furthest_steps

    from parents
    left join parents as ancestor_parents
        on parents.business_id = ancestor_parents.business_id
        and parents.ancestor_customer_id = ancestor_parents.customer_id
        and ancestor_parents.steps = 1
    left join loop_members
        on parents.business_id = loop_members.business_id
        and parents.ancestor_customer_id = loop_members.customer_id
    group by parents.business_id, parents.customer_id

),

furthest as (

    select
        parents.business_id,
        parents.customer_id,
        min(parents.ancestor_customer_id) as furthest_customer_id

    from parents
    inner join tops
        on parents.business_id = tops.business_id
        and parents.customer_id = tops.customer_id
        and parents.steps = tops.furthest_steps
    group by parents.business_id, parents.customer_id

),

final as (

    select
        ---------- keys
        customers.business_id,
        customers.customer_id,
        ---------- account
        case
            when tops.customer_id is null then customers.customer_id
            when tops.top_customer_id is not null then tops.top_customer_id
            when tops.loop_customer_id is not null then tops.loop_customer_id
            else furthest.furthest_customer_id
        end as account_id

    from customers
    left join tops
        on customers.business_id = tops.business_id
        and customers.customer_id = tops.customer_id
    left join furthest
        on customers.business_id = furthest.business_id
        and customers.customer_id = furthest.customer_id

)

select * from final
