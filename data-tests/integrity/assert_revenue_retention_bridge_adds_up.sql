{{ config(meta={"dagster": {"ref": {"name": "revenue_retention"}}}) }}
{#-
    The revenue bridge holds to the cent in every period:
    starting + expansion - contraction - churned + new + reactivated = revenue,
    revenue + inactive_customer_net_sales = net_sales, and the customer counts add up.
-#}
select *
from {{ ref('revenue_retention') }}
where starting_revenue + expansion_revenue - contraction_revenue - churned_revenue
    + new_revenue + reactivated_revenue <> revenue
    or revenue + inactive_customer_net_sales <> net_sales
    or retained_customers + churned_customers <> starting_customers
    or retained_customers + new_customers + reactivated_customers <> active_customers
