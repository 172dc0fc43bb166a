{#-
    One row per business: the purchase model (BG/NBD or Pareto/NBD) and the spend model
    (Gamma-Gamma) that scored its customers in customer_clv, their parameters, fit and
    how the purchase model was chosen. From the Python asset intermediate/clv_model_fits
    (ledgerlens.clv, source clv.clv_model_fits).
-#}
with

fits as (

    select * from {{ source('clv', 'clv_model_fits') }}

),

businesses as (

    select * from {{ ref('stg_businesses') }}

),

final as (

    select
        ---------- keys
        fits.business_id,
        ---------- dates
        fits.as_of_date,
        ---------- the purchase model
        fits.purchase_model,
        fits.fit_scope,
        fits.converged,
        'week' as time_unit,
        fits.r,
        fits.alpha,
        fits.a,
        fits.b,
        fits.s,
        fits.beta,
        fits.log_likelihood,
        ---------- the spend model
        fits.spend_model,
        fits.p,
        fits.q,
        fits.gamma,
        fits.spend_log_likelihood,
        businesses.home_currency as spend_currency,
        ---------- what it was fitted on
        cast(fits.customers as {{ dbt.type_int() }}) as customers,
        cast(fits.repeat_buyers as {{ dbt.type_int() }}) as repeat_buyers,
        ---------- how the purchase model was chosen
        cast(fits.selection_holdout_days as {{ dbt.type_int() }})
            as selection_holdout_days,
        fits.selection_mae_bg_nbd,
        fits.selection_mae_pareto_nbd,
        fits.selection_mae_last_period,
        fits.fit_seconds

    from fits
    inner join businesses
        on fits.business_id = businesses.business_id

)

select * from final
