{#-
    A figure's percentile (0-1) among the rows of the model, oriented so that 1 = the best:
    percent_rank() ascending when more is better, descending when less is. Null when the
    figure is null, and when fewer than two rows (of the same `within` group, if given)
    have it: a rank among one is no benchmark. DECIMAL(18, 6).
-#}
{% macro best_is_1_percentile(column, lower_is_better=false, within=none) -%}
    {%- set group = 'partition by ' ~ within if within else '' -%}
    {%- set ranked_group = (within ~ ', ' if within else '') -%}
    cast(
        case
            when {{ column }} is not null and count({{ column }}) over ({{ group }}) >= 2
                then percent_rank() over (
                    partition by {{ ranked_group }}
                    case when {{ column }} is null then 1 else 0 end
                    order by {{ column }}{{ ' desc' if lower_is_better else '' }}
                )
        end as decimal(18, 6)
    )
{%- endmacro %}
