{#-
    How a customer's revenue moved from one period to the next (DECISIONLOG.md).
    "Active" means net sales above zero in the period; a customer with only a credit
    note in a period is not active, and its movement is `inactive`.
    - churn: active before, not now
    - expansion / contraction / unchanged: active in both, up / down / level
    - new: active now, not before, first purchase within this period
    - reactivation: active now, not before, bought before this period
-#}
{% macro revenue_movement(current_amount, previous_amount, first_purchase_date, period_start_date) -%}
    case
        when {{ previous_amount }} > 0 and {{ current_amount }} > {{ previous_amount }}
            then 'expansion'
        when {{ previous_amount }} > 0 and {{ current_amount }} > 0
            and {{ current_amount }} < {{ previous_amount }}
            then 'contraction'
        when {{ previous_amount }} > 0 and {{ current_amount }} > 0
            then 'unchanged'
        when {{ previous_amount }} > 0
            then 'churn'
        when {{ current_amount }} > 0
            and {{ first_purchase_date }} >= {{ period_start_date }}
            then 'new'
        when {{ current_amount }} > 0
            then 'reactivation'
        else 'inactive'
    end
{%- endmacro %}
