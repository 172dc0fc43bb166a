{#-
    Reasons in words joined with '; ' in the order given, the null ones left out; null
    when every one is null. Built from coalesce and dbt.concat (null when a part is
    null), not concat_ws, so it reads the same on every engine: each reason after the
    first gets '; ' before it when a reason before it is set.
-#}
{% macro join_reasons(reasons) -%}
    {%- set parts = [] -%}
    {%- for reason in reasons -%}
        {%- if loop.first -%}
            {%- do parts.append("coalesce(" ~ reason ~ ", '')") -%}
        {%- else -%}
            {%- set before = [] -%}
            {%- for earlier in reasons[:loop.index0] -%}
                {%- do before.append(earlier ~ " is not null") -%}
            {%- endfor -%}
            {%- set separator =
                "case when " ~ before | join(" or ") ~ " then '; ' else '' end" -%}
            {%- do parts.append(
                "coalesce(" ~ dbt.concat([separator, reason]) ~ ", '')"
            ) -%}
        {%- endif -%}
    {%- endfor -%}
    nullif({{ dbt.concat(parts) }}, '')
{%- endmacro %}
