with

source as (

    select * from {{ source('raw', 'invoice_lines') }}

),

-- The exchange rate lives on the invoice; the join is here so that home-currency line
-- amounts are computed once, in one place, for every model downstream.
invoice_rates as (

    select
        business_id,
        invoice_id,
        exchange_rate

    from {{ source('raw', 'invoices') }}

),

renamed as (

    select
        ---------- ids
        source.business_id,
        source.invoice_id,
        source.line_number,
        ---------- attributes
        source.item_code,
        source.description,
        source.quantity,
        ---------- amounts (document currency)
        source.unit_price,
        coalesce(source.discount_amount, 0) as discount_amount,
        source.line_amount,
        source.unit_cost,
        ---------- amounts (home currency)
        {{ to_money('source.line_amount * invoice_rates.exchange_rate') }}
            as line_amount_home,
    -- Widened first: DECIMAL(18, 4) x DECIMAL(18, 4) x DECIMAL(18, 6) keeps 14
    -- decimals, which overflows 18 digits from a line cost of 10,000 (DuckDB). The
    -- scale, 14, is the three columns' places in the contract.
        {{ to_money_of_wide_decimal(
            'cast(source.quantity as decimal(38, 4)) * source.unit_cost'
            ~ ' * invoice_rates.exchange_rate',
            14
        ) }} as line_cost_home,
        {{ to_money(
            'coalesce(source.discount_amount, 0) * invoice_rates.exchange_rate'
        ) }} as discount_amount_home

    from source
    inner join invoice_rates
        on source.business_id = invoice_rates.business_id
        and source.invoice_id = invoice_rates.invoice_id

)

select * from renamed
